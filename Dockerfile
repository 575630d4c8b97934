# smsinbox as a container image: a static binary on a distroless base.
#
# NOT BUILT HERE: the machines smsinbox is developed on have no Docker engine,
# so this file has never been built. What it rests on was checked instead:
# `CGO_ENABLED=0 go build ./cmd/smsinbox` gives a static binary, the time zone
# database is compiled into it (time/tzdata, imported by domain/company and
# domain/quiethours), and the migrations, the OpenAPI document and the
# Messages page are embedded, so the binary needs nothing from the image but
# CA certificates (Twilio's API is HTTPS), which distroless/static carries.
#
#   docker build -t smsinbox .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://... smsinbox

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a change of the code alone reuses this layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/smsinbox ./cmd/smsinbox

# distroless/static: CA certificates, /etc/passwd with the nonroot user
# (65532), no shell and no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/smsinbox /usr/local/bin/smsinbox
USER nonroot:nonroot
# serve falls back to a private PostgreSQL cluster under ./var only when no
# DATABASE_URL is set; the image has no PostgreSQL, so set DATABASE_URL.
WORKDIR /home/nonroot
ENV LISTEN_ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/smsinbox"]
CMD ["serve"]
