"""Real Java 17 programs for the JVM capture tests (compiled with javac at test time)."""
