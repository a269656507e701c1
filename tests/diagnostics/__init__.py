"""Tests of the analyzers and collectors in bongsu.diagnostics."""
