package dev.pdpipeline.common.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Trigger files are written by hand, so the loader meets every kind of broken YAML. Whatever the
 * file holds, loading ends in a {@link TriggerSet} or a {@link TriggerConfigException}, and no
 * message ever carries a webhook secret or API token, whether it came from a variable or was
 * written into the file as a value (also as an alias, anchor, tag, list or map there). Messages do
 * name keys as written: a secret pasted where a key belongs is not covered (docs/security.md).
 */
class TriggerLoaderPropertiesTest {

    private static final String SECRET = "whsec-PROPERTY-5ecret-0123456789";
    private static final String TOKEN = "u+PROPERTY-t0ken-ABCDEFGHIJ";
    private static final String LITERAL_SECRET = "literal-PROPERTY-5ecret-9876";
    private static final String LITERAL_TOKEN = "literal-PROPERTY-t0ken-5432";
    private static final List<String> SECRETS = List.of(SECRET, TOKEN, LITERAL_SECRET, LITERAL_TOKEN);

    private static final Map<String, String> ENV = Map.of("WEBHOOK_SECRET", SECRET, "API_TOKEN", TOKEN,
            "REGION", "eu-west-1");

    private static final String WITH_VARIABLES = """
            apiVersion: aof.sh/v1
            kind: Trigger
            metadata:
              name: payments
              labels:
                owner: sre
            spec:
              platform:
                type: pagerduty
                config:
                  webhook_secret: ${WEBHOOK_SECRET}
                  api_token: "${API_TOKEN}"
                  from_email: bot@example.test
                  event_types: [incident.triggered, incident.annotated]
                  allowed_services:
                    - PSVC001
                  min_priority: P2
                  min_urgency: high
              agent: triage
              enabled: true
              filter:
                metadata.team: [Payments]
              parameters:
                region: ${REGION}
                nested: {a: [1, 2]}
            ---
            apiVersion: aof.sh/v1
            kind: Agent
            metadata:
              name: triage
            """;

    private static final String WITH_LITERALS = WITH_VARIABLES
            .replace("${WEBHOOK_SECRET}", LITERAL_SECRET)
            .replace("\"${API_TOKEN}\"", "'" + LITERAL_TOKEN + "'");

    private static final List<String> TOKENS = List.of("apiVersion: aof.sh/v1\n", "kind: Trigger\n", "metadata:\n",
            "  name: t\n", "spec:\n", "  platform:\n", "    type: pagerduty\n", "    config:\n",
            "      webhook_secret: ${WEBHOOK_SECRET}\n", "      api_token: ${API_TOKEN}\n",
            "      webhook_secret: " + LITERAL_SECRET + "\n", "  agent: a\n", "  agent: ${API_TOKEN}\n",
            "      min_priority: ${WEBHOOK_SECRET}\n", "      min_urgency: ${API_TOKEN}\n",
            "  enabled: ${WEBHOOK_SECRET}\n", "      from_email: ${API_TOKEN}\n",
            "  filter:\n    metadata.x: ${WEBHOOK_SECRET}\n", "  parameters: ${API_TOKEN}\n",
            "      webhook_secret: *" + LITERAL_SECRET + "\n", "      webhook_secret: &" + LITERAL_SECRET + " x\n",
            "      webhook_secret: !" + LITERAL_SECRET + " x\n", "      api_token: [" + LITERAL_TOKEN + "]\n",
            "      api_token: {" + LITERAL_TOKEN + ": 1}\n", "      webhook_secret: \"" + LITERAL_SECRET + "\n",
            "      webhook_secret: '" + LITERAL_SECRET + " \n",
            "- ", ": ", "\n", "  ", "---\n", "...\n", "{", "}", "[", "]", "'", "\"", ",", "&a ", "*a", "!!binary ",
            "!!int ", "!local ", "# comment\n", "${", "$${", "${WEBHOOK_SECRET:-x}", "${MISSING}", "${bad name}", "\t",
            "? ", "|\n", ">-\n", "%YAML 1.2\n", "%TAG ! tag:example:\n", "@", "`", "\\", "\u0000", "\uFEFF",
            "\u00e9", "\ud83d\ude00", "<<: *a\n");

    private static Path dir;
    private final TriggerLoader loader = new TriggerLoader(ENV);

    @BeforeContainer
    static void createDirectory() throws IOException {
        dir = Files.createTempDirectory("trigger-properties");
    }

    @AfterContainer
    static void deleteDirectory() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.MIXIN)
    void yamlishTextLoadsOrFailsWithTriggerConfigExceptionWithoutSecrets(@ForAll("yamlish") String text) {
        check(text.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.MIXIN)
    void mutatedValidFilesLoadOrFailWithTriggerConfigExceptionWithoutSecrets(@ForAll("mutated") String text) {
        check(text.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 300, edgeCases = EdgeCasesMode.MIXIN)
    void arbitraryBytesLoadOrFailWithTriggerConfigException(@ForAll("bytes") byte[] content) {
        check(content);
    }

    /** A secret variable referenced from a field whose bad value is echoed (operator's typo). */
    @Property(tries = 50)
    void secretVariableInAnEchoedFieldIsNotShown(
            @ForAll("echoedFields") String field, @ForAll("secretVariables") String variable) {
        Map<String, String> lines = Map.of("min_priority", "      min_priority: P2", "min_urgency",
                "      min_urgency: high", "from_email", "      from_email: bot@example.test", "agent",
                "  agent: triage", "enabled", "  enabled: true");
        String line = lines.get(field);
        String text = WITH_VARIABLES.replace(line, line.substring(0, line.indexOf(':') + 2) + "${" + variable + "}");
        Path file = write(text.getBytes(StandardCharsets.UTF_8));
        try {
            loader.load(file);
            // a value that is legal there (an agent named like the secret) is the operator's choice
            Statistics.label("outcome").collect("loaded");
        } catch (TriggerConfigException e) {
            assertThat(e.getMessage()).doesNotContain(SECRETS).contains(field);
            Statistics.label("outcome").collect("TriggerConfigException");
        }
    }

    private static Path write(byte[] content) {
        Path file = dir.resolve("trigger.yaml");
        try {
            return Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Provide
    Arbitrary<String> echoedFields() {
        return Arbitraries.of("min_priority", "min_urgency", "from_email", "agent", "enabled");
    }

    @Provide
    Arbitrary<String> secretVariables() {
        return Arbitraries.of("WEBHOOK_SECRET", "API_TOKEN");
    }

    private void check(byte[] content) {
        Path file = write(content);
        try {
            TriggerSet set = loader.load(file);
            assertThat(set.toString()).doesNotContain(SECRETS);
            set.triggers().forEach(t -> assertThat(t.toString()).doesNotContain(SECRETS));
            Statistics.label("outcome").collect(set.isEmpty() ? "loaded, no trigger" : "loaded");
        } catch (TriggerConfigException e) {
            assertThat(e.getMessage()).doesNotContain(SECRETS);
            assertThat(e.getMessage()).doesNotContain(secretsPartly());
            Statistics.label("outcome").collect("TriggerConfigException");
        } catch (RuntimeException | Error e) {
            fail("expected TriggerConfigException or a TriggerSet, got " + e, e);
        }
    }

    /** Distinctive middles of each secret: a message that cut a secret short still leaks it. */
    private static String[] secretsPartly() {
        return SECRETS.stream().map(s -> s.substring(4, s.length() - 4)).toArray(String[]::new);
    }

    @Provide
    Arbitrary<String> yamlish() {
        return Arbitraries.of(TOKENS).list().ofMaxSize(40).map(tokens -> String.join("", tokens));
    }

    @Provide
    Arbitrary<byte[]> bytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(1024);
    }

    @Provide
    Arbitrary<String> mutated() {
        Arbitrary<Edit> edit = Combinators.combine(Arbitraries.integers().between(0, 7),
                Arbitraries.integers().between(0, 10_000), Arbitraries.of(TOKENS)).as(Edit::new);
        return Combinators.combine(Arbitraries.of(WITH_VARIABLES, WITH_LITERALS), edit.list().ofMinSize(1).ofMaxSize(4))
                .as((base, edits) -> {
                    String text = base;
                    for (Edit e : edits) {
                        text = e.apply(text);
                    }
                    return text;
                });
    }

    /** 0 delete a char, 1 insert a token, 2 delete a line, 3 duplicate a line, 4 swap two lines,
     *  5 indent a line, 6 dedent a line, 7 truncate. */
    private record Edit(int kind, int position, String token) {
        String apply(String text) {
            if (text.isEmpty()) {
                return token;
            }
            int at = position % text.length();
            List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
            int line = position % lines.size();
            switch (kind) {
                case 0:
                    return text.substring(0, at) + text.substring(at + 1);
                case 1:
                    return text.substring(0, at) + token + text.substring(at);
                case 2:
                    lines.remove(line);
                    break;
                case 3:
                    lines.add(line, lines.get(line));
                    break;
                case 4:
                    int other = (line + 1) % lines.size();
                    String swapped = lines.get(line);
                    lines.set(line, lines.get(other));
                    lines.set(other, swapped);
                    break;
                case 5:
                    lines.set(line, "  " + lines.get(line));
                    break;
                case 6:
                    lines.set(line, lines.get(line).replaceFirst("^ {1,2}", ""));
                    break;
                default:
                    return text.substring(0, at);
            }
            return String.join("\n", lines);
        }
    }
}
