"""Local infrastructure runners: a real Kafka broker (jars from Maven Central on the JDK), a real
PostgreSQL cluster (Debian's server binaries, initdb in a project-local folder) and a real SMTP
server that keeps every message. Used by `make infra`, `make up` and the pytest fixtures."""
