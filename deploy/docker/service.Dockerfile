# One image per service, from the same recipe: docker build -f deploy/docker/service.Dockerfile
#   --build-arg SERVICE=identity -t claims/identity .   (SERVICE: identity, registration,
#   claim-status, notifier). Versions come from constraints.txt, as in development.
FROM python:3.11-slim-bookworm
ARG SERVICE
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY constraints.txt ./
COPY shared ./shared
COPY services/${SERVICE} ./services/${SERVICE}
RUN pip install -c constraints.txt ./shared ./services/${SERVICE} \
 && useradd --system --uid 10001 --no-create-home claims
USER 10001
# The module is the service's package (claim-status installs claim_status).
ENV SERVICE_MODULE=${SERVICE}
CMD ["sh", "-c", "exec python -m $(echo ${SERVICE_MODULE} | tr - _)"]
