# The gateway: nginx with deploy/gateway/nginx.conf.template (placeholders filled by the image's
# envsubst at start) and the web front's files, as `make up` serves them.
FROM nginx:1.27-alpine
ENV NGINX_ENVSUBST_OUTPUT_DIR=/etc/nginx \
    STATE_DIR=/tmp/nginx \
    WEB_ROOT=/usr/share/claims-web \
    LISTEN_ADDRESS=0.0.0.0 \
    PORT=8080 \
    SENSITIVE_RATE=20r/m \
    SENSITIVE_BURST=10
COPY deploy/gateway/nginx.conf.template /etc/nginx/templates/nginx.conf.template
COPY web /usr/share/claims-web
RUN mkdir -p /tmp/nginx && chown -R nginx:nginx /tmp/nginx
EXPOSE 8080
