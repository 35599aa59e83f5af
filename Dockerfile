# The naas image for those with Docker (`docker build .`); `make image` builds the same image without a daemon
# (hack/image), as an OCI layout tar in bin/naas-image.tar. A static binary on an empty base: no shell, non-root.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/naas-dev/naas/internal/buildinfo.Version=${VERSION}" -o /out/naas ./cmd/naas \
 && mkdir -p /out/var/lib/naas /out/tmp && chown 65532:65532 /out/var/lib/naas && chmod 0700 /out/var/lib/naas && chmod 1777 /out/tmp \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/var/lib/naas:/sbin/nologin\n' >/out/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' >/out/group

FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.title=naas \
      org.opencontainers.image.source=https://github.com/naas-dev/naas \
      org.opencontainers.image.version=${VERSION} \
      org.opencontainers.image.licenses=NOASSERTION
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/passwd /etc/passwd
COPY --from=build /out/group /etc/group
COPY --from=build /out/tmp /tmp
COPY --from=build /out/var/lib/naas /var/lib/naas
COPY --from=build /out/naas /naas
USER 65532:65532
WORKDIR /var/lib/naas
EXPOSE 8080 9443
ENTRYPOINT ["/naas"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
