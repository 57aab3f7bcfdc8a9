# The Node base image when no registry is reachable: Debian bookworm (minbase, made by mmdebstrap and imported) plus
# this host's Node, laid out as the official node:<version>-bookworm-slim lays it out, so the services' Dockerfiles
# build here unchanged and pull the official image elsewhere. Built by tools/docker/base-image.sh, which assembles the
# context (node, npm, headers, CA bundle) from the host.
ARG ROOTFS
FROM ${ROOTFS}
ARG NODE_VERSION
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY include /usr/local/include/node
# The host's bundle holds the intercepting proxy's CA that every TLS connection to a package registry passes through.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# The official image's `node` user (uid/gid 1000, home /home/node), written directly: minbase has no useradd.
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && echo 'node:x:1000:1000::/home/node:/bin/bash' >>/etc/passwd \
 && echo 'node:x:1000:' >>/etc/group \
 && echo 'node:!:20000:0:99999:7:::' >>/etc/shadow \
 && mkdir -p /home/node && chown 1000:1000 /home/node \
 && node --version && npm --version
# node-gyp reads headers from here instead of downloading them; npm and Node trust the proxy's CA.
ENV NODE_VERSION=${NODE_VERSION} \
    npm_config_nodedir=/usr/local \
    npm_config_cafile=/etc/ssl/certs/ca-certificates.crt \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
