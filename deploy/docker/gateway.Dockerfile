# The gateway: nginx with deploy/gateway/nginx.conf.template (placeholders filled by the image's
# envsubst at start) and the web front's files, as `make up` serves them. nginx's unprivileged
# image: it runs as its nginx user (uid 101) from the start, listens on 8080 (no port below 1024,
# so no capability at all), and with a read-only root file system writes only under /tmp: the
# rendered configuration (NGINX_ENVSUBST_OUTPUT_DIR), the pid file, logs and temporary bodies
# (STATE_DIR). Kubernetes and compose mount a fresh /tmp.
FROM nginxinc/nginx-unprivileged:1.27-alpine
ENV NGINX_ENVSUBST_OUTPUT_DIR=/tmp \
    STATE_DIR=/tmp \
    WEB_ROOT=/usr/share/claims-web \
    LISTEN_ADDRESS=0.0.0.0 \
    PORT=8080 \
    SENSITIVE_RATE=20r/m \
    SENSITIVE_BURST=10
COPY deploy/gateway/nginx.conf.template /etc/nginx/templates/nginx.conf.template
COPY web /usr/share/claims-web
USER 101
EXPOSE 8080
# The entrypoint renders the template into /tmp/nginx.conf, then starts nginx on it; `-e stderr`
# keeps nginx from opening its built-in log path before it reads the configuration.
CMD ["nginx", "-c", "/tmp/nginx.conf", "-e", "stderr", "-g", "daemon off;"]
