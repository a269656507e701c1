"""Tests of replicas sharing one metadata database."""
