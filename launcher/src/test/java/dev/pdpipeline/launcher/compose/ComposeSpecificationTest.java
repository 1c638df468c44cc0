package dev.pdpipeline.launcher.compose;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Docker and Prometheus themselves would say about the files, without Docker: every top-level
 * compose file validates against the Compose specification's JSON schema, and {@code promtool}
 * accepts the Prometheus configuration and alert rules exactly as the monitoring profile mounts
 * them (same paths inside a scratch root).
 *
 * <p>The schema is the Compose specification's {@code compose-spec.json} (Apache-2.0,
 * compose-spec/compose-spec), as shipped in the npm package {@code dclint} ({@value #SCHEMA_PACKAGE},
 * {@code schemas/compose.schema.json}); fetched with {@code npm pack} into {@code target/}, never
 * committed. {@code promtool} is Debian's {@code prometheus} package; {@code .ci/run} installs both
 * tools, and a missing tool fails these tests.
 */
class ComposeSpecificationTest {

    static final String SCHEMA_PACKAGE = "dclint@3.1.0";
    private static final String SCHEMA_IN_PACKAGE = "package/schemas/compose.schema.json";
    private static final Path ROOT = ComposeConsistencyTest.ROOT;
    private static Schema schema;

    @BeforeAll
    static void loadSchema() throws Exception {
        Path schemaFile = fetchSchema();
        ObjectNode document = (ObjectNode) new ObjectMapper().readTree(schemaFile.toFile());
        // its $id is a bare file name, which the validator will not take as a base IRI; only its
        // own #/definitions references are used, so the schema needs none
        document.remove("$id");
        schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7).getSchema(document);
    }

    @Test
    void everyComposeFileValidatesAgainstTheComposeSpecification() {
        List<String> files = ComposeConsistencyTest.composeFiles();
        assertThat(files).contains("docker-compose.yml", "docker-compose.cluster.yml");
        for (String file : files) {
            List<Error> errors = schema.validate(ComposeConsistencyTest.compose(file));
            assertThat(errors).as(file).isEmpty();
        }
    }

    @Test
    void theSchemaCatchesAMisspelledServiceKey() {
        ObjectNode compose = ComposeConsistencyTest.compose("docker-compose.yml");
        ObjectNode processor = (ObjectNode) compose.at("/services/processor");
        processor.set("healthchek", processor.remove("healthcheck"));
        ((ObjectNode) compose.at("/services/ingress")).put("restart", 5).set("ports",
                ((ArrayNode) compose.at("/services/ingress/ports")).add(new ObjectMapper().createArrayNode()));

        assertThat(schema.validate(compose)).extracting(e -> e.getInstanceLocation() + " " + e.getMessage())
                .anySatisfy(m -> assertThat(m).contains("healthchek"))
                .anySatisfy(m -> assertThat(m).contains("restart"));
    }

    @Test
    void promtoolAcceptsTheMountedConfigurationAndRules(@TempDir Path scratch) throws Exception {
        Path config = layOutMounts("prometheus", scratch, "/etc/prometheus/prometheus.yml");
        ToolRun run = run(List.of(promtool(), "check", "config", config.toString()));

        assertThat(run.exit).as(run.output).isZero();
        // the rule file was found through the mounted path and checked too
        assertThat(run.output).contains("1 rule files found").contains("pdpipeline-alerts.yml")
                .containsPattern("SUCCESS: [1-9][0-9]* rules found");
    }

    @Test
    void promtoolAcceptsTheAlertRules(@TempDir Path scratch) throws Exception {
        Path config = layOutMounts("prometheus", scratch, "/etc/prometheus/prometheus.yml");
        ToolRun run = run(List.of(promtool(), "check", "rules",
                config.getParent().resolve("rules/pdpipeline-alerts.yml").toString()));

        assertThat(run.exit).as(run.output).isZero();
    }

    @Test
    void promtoolRejectsABrokenRule(@TempDir Path scratch) throws Exception {
        Path rules = scratch.resolve("broken.yml");
        Files.writeString(rules, "groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m]) > \n");

        assertThat(run(List.of(promtool(), "check", "rules", rules.toString())).exit).isNotZero();
    }

    @Test
    void grafanaMountsTheDashboardTheMetricsTestChecksAndOpensOnIt() {
        JsonNode grafana = ComposeConsistencyTest.compose("docker-compose.yml").at("/services/grafana");
        List<String> volumes = new ArrayList<>();
        grafana.path("volumes").forEach(v -> volumes.add(v.asText()));
        String home = grafana.at("/environment/GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH").asText();

        // MetricsDocumentedIT holds this dashboard's queries to the metrics the services export
        assertThat(volumes).contains("./docs/monitoring/grafana-dashboard.json:" + home + ":ro");
        assertThat(volumes).anyMatch(v -> v.startsWith("./docs/monitoring/grafana/provisioning:"));
        assertThat(ROOT.resolve("docs/monitoring/grafana/provisioning/datasources/prometheus.yml")).isRegularFile();
        assertThat(ROOT.resolve("docs/monitoring/grafana/provisioning/dashboards/pdpipeline.yml")).isRegularFile();
        assertThat(grafana.path("profiles").toString()).contains("monitoring");
    }

    // ---------------------------------------------------------------- helpers

    /** Copies the service's bind-mounted files to their container paths under {@code scratch}. */
    private static Path layOutMounts(String service, Path scratch, String wanted) throws IOException {
        JsonNode volumes = ComposeConsistencyTest.compose("docker-compose.yml").at("/services/" + service + "/volumes");
        for (JsonNode volume : volumes) {
            String[] parts = volume.asText().split(":");
            if (parts[0].startsWith("./")) {
                Path target = scratch.resolve(parts[1].substring(1));
                Files.createDirectories(target.getParent());
                Files.copy(ROOT.resolve(parts[0]), target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path config = scratch.resolve(wanted.substring(1));
        assertThat(config).as("the %s service mounts %s", service, wanted).isRegularFile();
        return config;
    }

    private static String promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "promtool"))) {
                return Path.of(dir, "promtool").toString();
            }
        }
        throw new AssertionError("promtool not found on PATH: install Debian's prometheus package"
                + " (apt-get install prometheus; .ci/run does)");
    }

    /** The schema file, fetched once into target/ with npm. */
    private static Path fetchSchema() throws Exception {
        Path dir = Path.of("target", "compose-spec").toAbsolutePath();
        Path schemaFile = dir.resolve(SCHEMA_IN_PACKAGE);
        if (Files.isRegularFile(schemaFile)) {
            return schemaFile;
        }
        Files.createDirectories(dir);
        ToolRun pack = run(List.of("npm", "pack", SCHEMA_PACKAGE, "--silent", "--pack-destination", dir.toString()));
        assertThat(pack.exit).as("npm pack %s (the Compose schema; npm comes with Node, .ci/run installs it): %s",
                SCHEMA_PACKAGE, pack.output).isZero();
        String tarball = pack.output.strip().lines().reduce((a, b) -> b).orElseThrow();
        ToolRun untar = run(List.of("tar", "-xzf", dir.resolve(tarball).toString(), "-C", dir.toString(),
                SCHEMA_IN_PACKAGE));
        assertThat(untar.exit).as(untar.output).isZero();
        return schemaFile;
    }

    private record ToolRun(int exit, String output) {
    }

    private static ToolRun run(List<String> command) throws Exception {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(command.get(0) + " cannot be run (" + e.getMessage() + "); .ci/run installs it", e);
        }
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        return new ToolRun(process.exitValue(), output);
    }
}
