-- One database per service (each owns its event store and read models), as in `make infra`.
CREATE DATABASE identity;
CREATE DATABASE registration;
CREATE DATABASE claim_status;
CREATE DATABASE notifier;
