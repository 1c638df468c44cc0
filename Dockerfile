# syntax=docker/dockerfile:1
# The one image of the pipeline: every role runs the same launcher jar, and the command picks it:
#   ingress | processor | console | example-agent | topics ensure | dlq ... | any bin/pipeline subcommand
# Build from the repository root (docker-compose.yml does this once, for every service):
#   docker build -t pdpipeline/pipeline:dev .
#   docker run --rm pdpipeline/pipeline:dev --help
# Settings are environment variables (docs/configuration.md); Trigger files are mounted at
# /etc/pdpipeline/triggers (TRIGGERS_PATH). Extra JVM flags: JAVA_TOOL_OPTIONS (the JVM reads it).

# ---- build: the launcher's shaded jar (it holds every role), Maven's cache kept between builds
FROM eclipse-temurin:17.0.16_8-jdk-noble AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY common/ common/
COPY ingress/ ingress/
COPY processor/ processor/
COPY launcher/ launcher/
COPY console/ console/
# every module of the root pom must be present for the reactor, even those not built here
COPY examples/ examples/
COPY bench/ bench/
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q package -DskipTests -pl launcher -am

# ---- runtime: a JRE, the jar, a non-root user
FROM eclipse-temurin:17.0.16_8-jre-noble
# curl serves the health checks docker-compose.yml defines (present in this base today; installed
# if a later tag drops it)
RUN set -eux; \
    command -v curl >/dev/null || { apt-get update; apt-get install -y --no-install-recommends curl; rm -rf /var/lib/apt/lists/*; }; \
    groupadd --system --gid 10001 pdpipeline; \
    useradd --system --uid 10001 --gid pdpipeline --home-dir /app --no-create-home --shell /usr/sbin/nologin pdpipeline; \
    mkdir -p /app /etc/pdpipeline/triggers /var/lib/pdpipeline/state; \
    chown pdpipeline:pdpipeline /var/lib/pdpipeline/state
COPY --from=build /src/launcher/target/pipeline.jar /app/pipeline.jar
WORKDIR /app
USER 10001:10001
# 8080: POST /webhooks/pagerduty (ingress); 8081: /health/*, /metrics (MANAGEMENT_PORT); 8090: console
EXPOSE 8080 8081 8090
# No HEALTHCHECK here: the roles differ (the example agent has no HTTP endpoint). docker-compose.yml
# checks /health/live and /health/ready of the roles that serve them.
# The heap follows the container's memory limit (75% of it), so a limit needs no matching -Xmx.
# Exit codes: 0 stopped, 1 runtime failure (restart it), 2 usage error, 3 invalid configuration
# (fix it first; restarting will not help).
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/pipeline.jar"]
CMD ["--help"]
