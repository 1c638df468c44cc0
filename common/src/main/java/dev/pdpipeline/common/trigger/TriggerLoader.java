package dev.pdpipeline.common.trigger;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.pdpipeline.common.topics.TopicCatalogue;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads AOF {@code aof.sh/v1} {@code Trigger} resources of platform {@code pagerduty} from a file or a
 * directory, substituting <code>${VAR}</code> references from the environment map it was given.
 *
 * <p>Stricter than AOF on purpose: unknown fields, wrong types and bad values are errors naming file,
 * trigger and field, found when a service starts rather than as deliveries that silently never
 * match. Other documents in the same files (Agents, other platforms) are skipped untouched.
 * The accepted format is described in docs/triggers.md.
 */
public final class TriggerLoader {

    /** The only apiVersion accepted for a Trigger. */
    public static final String API_VERSION = "aof.sh/v1";
    /** Largest trigger file read; Trigger files are a few KB, anything larger is a mistake. */
    public static final long MAX_FILE_BYTES = 1024 * 1024;
    /** Deepest YAML nesting accepted (spec.parameters is free-form). */
    public static final int MAX_NESTING_DEPTH = 64;

    private static final Logger LOG = LoggerFactory.getLogger(TriggerLoader.class);

    private static final Set<String> TOP_FIELDS = ordered("apiVersion", "kind", "metadata", "spec");
    private static final Set<String> METADATA_FIELDS = ordered("name", "namespace", "labels", "annotations");
    private static final Set<String> SPEC_FIELDS = ordered("platform", "agent", "enabled", "parameters", "filter");
    private static final Set<String> PLATFORM_FIELDS = ordered("type", "config");
    private static final Set<String> CONFIG_FIELDS = ordered("webhook_secret", "api_token", "bot_name",
            "from_email", "event_types", "allowed_services", "allowed_teams", "min_priority", "min_urgency");

    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");

    private static final YAMLMapper YAML = new YAMLMapper(YAMLFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    private final Map<String, String> env;
    private final TopicCatalogue topics = TopicCatalogue.defaults();

    /** @param env the variables <code>${VAR}</code> references resolve against (tests pass a map) */
    public TriggerLoader(Map<String, String> env) {
        this.env = Collections.unmodifiableMap(new HashMap<>(Objects.requireNonNull(env, "env")));
    }

    /**
     * Loads one file, or every {@code *.yaml}/{@code *.yml} file of a directory (not recursive, by file
     * name, hidden files skipped).
     *
     * @throws TriggerConfigException for the first problem found; the message never contains a secret
     */
    public TriggerSet load(Path fileOrDirectory) {
        Objects.requireNonNull(fileOrDirectory, "fileOrDirectory");
        List<Trigger> all = new ArrayList<>();
        Map<String, Trigger> byName = new HashMap<>();
        for (Path file : files(fileOrDirectory)) {
            for (Trigger t : loadFile(file)) {
                Trigger earlier = byName.putIfAbsent(t.name(), t);
                if (earlier != null) {
                    String where = earlier.source().equals(file) ? "earlier in this file" : "in " + earlier.source();
                    throw new TriggerConfigException(file, t.name(), "metadata.name",
                            "duplicate trigger name, also defined " + where);
                }
                all.add(t);
            }
        }
        LOG.debug("Loaded {} trigger(s) from {}", all.size(), fileOrDirectory);
        return new TriggerSet(all);
    }

    /** The files {@link #load} reads for a path, in load order. */
    static List<Path> files(Path fileOrDirectory) {
        if (Files.isDirectory(fileOrDirectory)) {
            try (Stream<Path> entries = Files.list(fileOrDirectory)) {
                return entries
                        .filter(p -> {
                            String n = p.getFileName().toString();
                            String lower = n.toLowerCase(Locale.ROOT);
                            return !n.startsWith(".") && (lower.endsWith(".yaml") || lower.endsWith(".yml"));
                        })
                        .filter(Files::isRegularFile)
                        .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                        .toList();
            } catch (IOException e) {
                throw new TriggerConfigException(fileOrDirectory, null, null,
                        "cannot list directory (" + e.getClass().getSimpleName() + ")");
            }
        }
        if (Files.isRegularFile(fileOrDirectory)) {
            return List.of(fileOrDirectory);
        }
        if (Files.exists(fileOrDirectory)) {
            throw new TriggerConfigException(fileOrDirectory, null, null, "neither a regular file nor a directory");
        }
        throw new TriggerConfigException(fileOrDirectory, null, null, "no such file or directory");
    }

    private List<Trigger> loadFile(Path file) {
        String text = read(file);
        List<JsonNode> documents = parse(file, text);
        List<Trigger> triggers = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            JsonNode doc = documents.get(i);
            if (isPagerDutyTrigger(doc)) {
                triggers.add(new DocumentReader(file, i + 1).read((ObjectNode) doc));
            } else if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                LOG.debug("{}: skipping document {} (kind {}): not a pagerduty Trigger", file, i + 1,
                        doc.path("kind").asText("?"));
            }
        }
        return triggers;
    }

    private static boolean isPagerDutyTrigger(JsonNode doc) {
        if (doc == null || !doc.isObject()) {
            return false;
        }
        JsonNode kind = doc.get("kind");
        JsonNode type = doc.path("spec").path("platform").path("type");
        return kind != null && kind.isTextual() && kind.textValue().equals("Trigger")
                && type.isTextual() && type.textValue().trim().equalsIgnoreCase("pagerduty");
    }

    private static String read(Path file) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw tooLarge(file);
            }
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length > MAX_FILE_BYTES) {
                throw tooLarge(file);
            }
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            throw new TriggerConfigException(file, null, null, "not valid UTF-8");
        } catch (IOException e) {
            throw new TriggerConfigException(file, null, null, "cannot read file (" + e.getClass().getSimpleName()
                    + ")");
        }
    }

    private static TriggerConfigException tooLarge(Path file) {
        return new TriggerConfigException(file, null, null, "larger than the limit of " + MAX_FILE_BYTES
                + " bytes for a trigger file");
    }

    private static List<JsonNode> parse(Path file, String text) {
        List<JsonNode> documents = new ArrayList<>();
        try (JsonParser parser = YAML.getFactory().createParser(text);
                MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(parser)) {
            while (it.hasNextValue()) {
                documents.add(it.nextValue());
            }
        } catch (JsonProcessingException e) {
            throw new TriggerConfigException(file, null, null, yamlProblem(e));
        } catch (IOException e) {
            throw new TriggerConfigException(file, null, null, "cannot read YAML (" + e.getClass().getSimpleName()
                    + ")");
        }
        return documents;
    }

    /**
     * Describes a YAML syntax error by position and SnakeYAML's short problem text only: the full
     * messages quote the offending source line, which may hold a secret.
     */
    private static String yamlProblem(JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblemMark() != null) {
                return "not valid YAML at line " + (m.getProblemMark().getLine() + 1) + ", column "
                        + (m.getProblemMark().getColumn() + 1) + ": " + m.getProblem();
            }
        }
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
        // Jackson's messages go on to quote the offending token or event (an alias, an anchor, a
        // value), which may be a secret: keep only the wording before the first quote or bracket.
        // A duplicate key is named, like unknown fields are: keys are field names, not values.
        int quote = original.startsWith("Duplicate field") ? -1 : indexOfAny(original, "'\"<([{`");
        if (quote >= 0) {
            original = original.substring(0, quote);
        }
        original = original.replaceAll("[\\s:,]+$", "");
        if (original.length() > 120) {
            original = original.substring(0, 120) + "...";
        }
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? ""
                : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return "not valid YAML" + where + ": " + original;
    }

    private static int indexOfAny(String text, String chars) {
        for (int i = 0; i < text.length(); i++) {
            if (chars.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static Set<String> ordered(String... names) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(List.of(names)));
    }

    /** Reads one Trigger document; knows its file and, once read, its name, for error messages. */
    private final class DocumentReader {
        private final Path file;
        private final int index;
        private String trigger;

        DocumentReader(Path file, int index) {
            this.file = file;
            this.index = index;
        }

        Trigger read(ObjectNode doc) {
            ObjectNode metadata = object(doc.get("metadata"), "metadata", true);
            String name = string(metadata.get("name"), "metadata.name");
            if (name == null || name.isBlank()) {
                throw error("metadata.name", "is required (document " + index + " of the file)");
            }
            if (!name.equals(name.strip()) || name.chars().anyMatch(Character::isISOControl)) {
                throw error("metadata.name", "must not have surrounding whitespace or control characters"
                        + " (document " + index + " of the file)");
            }
            trigger = name;

            known(doc, null, TOP_FIELDS);
            String apiVersion = string(doc.get("apiVersion"), "apiVersion");
            if (!API_VERSION.equals(apiVersion)) {
                throw error("apiVersion", apiVersion == null ? "is required, must be '" + API_VERSION + "'"
                        : "must be '" + API_VERSION + "' for a Trigger, got '" + apiVersion + "'");
            }

            known(metadata, "metadata", METADATA_FIELDS);
            String namespace = blankToNull(string(metadata.get("namespace"), "metadata.namespace"));
            stringMap(metadata.get("labels"), "metadata.labels");
            stringMap(metadata.get("annotations"), "metadata.annotations");

            ObjectNode spec = object(doc.get("spec"), "spec", true);
            known(spec, "spec", SPEC_FIELDS);
            ObjectNode platform = object(spec.get("platform"), "spec.platform", true);
            known(platform, "spec.platform", PLATFORM_FIELDS);
            ObjectNode config = object(platform.get("config"), "spec.platform.config", true);
            known(config, "spec.platform.config", CONFIG_FIELDS);

            String webhookSecret = secret(config, "webhook_secret", true);
            String apiToken = secret(config, "api_token", false);
            String botName = blankToNull(string(config.get("bot_name"), "spec.platform.config.bot_name"));
            String fromEmail = blankToNull(string(config.get("from_email"), "spec.platform.config.from_email"));
            if (fromEmail != null) {
                fromEmail = fromEmail.strip();
                if (!EMAIL.matcher(fromEmail).matches()) {
                    throw error("spec.platform.config.from_email", "is not an email address (PagerDuty needs the"
                            + " email of a user of the account to attribute notes to)");
                }
            }
            List<String> eventTypes = stringList(config.get("event_types"), "spec.platform.config.event_types");
            List<String> services = stringList(config.get("allowed_services"),
                    "spec.platform.config.allowed_services");
            List<String> teams = stringList(config.get("allowed_teams"), "spec.platform.config.allowed_teams");

            String priorityText = blankToNull(string(config.get("min_priority"), "spec.platform.config.min_priority"));
            Priority minPriority = null;
            if (priorityText != null) {
                minPriority = Priority.parse(priorityText).orElseThrow(() -> error(
                        "spec.platform.config.min_priority",
                        "must be one of P1, P2, P3, P4, P5 (P1 highest), got '"
                                + written(config.get("min_priority"), priorityText) + "'"));
            }
            String urgencyText = blankToNull(string(config.get("min_urgency"), "spec.platform.config.min_urgency"));
            Urgency minUrgency = null;
            if (urgencyText != null) {
                minUrgency = Urgency.parse(urgencyText).orElseThrow(() -> error(
                        "spec.platform.config.min_urgency",
                        "must be 'high' or 'low', got '" + written(config.get("min_urgency"), urgencyText) + "'"));
            }

            String agent = string(spec.get("agent"), "spec.agent");
            if (agent == null || agent.isBlank()) {
                throw error("spec.agent", "is required: the name of the agent that handles the deliveries");
            }
            if (!topics.isLegalAgentName(agent)) {
                throw error("spec.agent", "'" + written(spec.get("agent"), agent) + "' is not a legal agent name: use letters, digits,"
                        + " '.', '_' and '-' (it becomes part of a Kafka topic name)");
            }
            boolean enabled = bool(spec.get("enabled"), "spec.enabled", true);
            JsonNode parameters = spec.get("parameters");
            ObjectNode params;
            if (parameters == null || parameters.isNull()) {
                params = JsonNodeFactory.instance.objectNode();
            } else {
                params = (ObjectNode) substituteTree(object(parameters, "spec.parameters", false),
                        "spec.parameters");
            }
            Map<String, List<String>> filter = filter(spec.get("filter"));

            return new Trigger(name, namespace, file, agent, enabled, webhookSecret, apiToken, botName, fromEmail,
                    eventTypes, services, teams, minPriority, minUrgency, filter, params);
        }

        private String secret(ObjectNode config, String field, boolean required) {
            String path = "spec.platform.config." + field;
            String value = string(config.get(field), path);
            if (value == null || value.isBlank()) {
                if (required) {
                    throw error(path, value == null ? "is required" : "is blank after substitution");
                }
                return null;
            }
            if (!value.equals(value.strip())) {
                throw error(path, "has leading or trailing whitespace (value not shown)");
            }
            return value;
        }

        private Map<String, List<String>> filter(JsonNode node) {
            Map<String, List<String>> filter = new LinkedHashMap<>();
            ObjectNode map = object(node, "spec.filter", false);
            if (map == null) {
                return filter;
            }
            for (Map.Entry<String, JsonNode> e : map.properties()) {
                String key = e.getKey();
                String path = "spec.filter." + key;
                String field = key.startsWith(FilterFields.PREFIX) ? key.substring(FilterFields.PREFIX.length()) : null;
                if (field == null || !FilterFields.FILTER_FIELDS.contains(field)) {
                    throw error(path, "unknown filter key: use metadata.<field> with <field> one of "
                            + String.join(", ", FilterFields.FILTER_FIELDS));
                }
                JsonNode value = e.getValue();
                List<String> values = new ArrayList<>();
                if (value != null && value.isArray()) {
                    if (value.isEmpty()) {
                        throw error(path, "must not be an empty list");
                    }
                    for (int i = 0; i < value.size(); i++) {
                        values.add(scalar(value.get(i), path + "[" + i + "]"));
                    }
                } else {
                    values.add(scalar(value, path));
                }
                filter.put(field, values);
            }
            return filter;
        }

        private String scalar(JsonNode node, String path) {
            if (node == null || node.isNull()) {
                throw error(path, "must be a value or a list of values, got nothing");
            }
            if (node.isTextual()) {
                return substitute(node.textValue(), path);
            }
            if (node.isNumber() || node.isBoolean()) {
                return node.asText();
            }
            throw error(path, "must be a value or a list of values, got a " + describe(node));
        }

        private List<String> stringList(JsonNode node, String path) {
            if (node == null || node.isNull()) {
                return List.of();
            }
            if (!node.isArray()) {
                throw error(path, "must be a list of strings, got a " + describe(node));
            }
            List<String> values = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                String item = path + "[" + i + "]";
                String value = string(node.get(i), item);
                if (value == null || value.isBlank()) {
                    throw error(item, "must be a non-blank string");
                }
                values.add(value.strip());
            }
            return values;
        }

        private void stringMap(JsonNode node, String path) {
            ObjectNode map = object(node, path, false);
            if (map != null) {
                map.properties().forEach(e -> {
                    if (!e.getValue().isNull()) {
                        string(e.getValue(), path + "." + e.getKey());
                    }
                });
            }
        }

        private boolean bool(JsonNode node, String path, boolean fallback) {
            if (node == null || node.isNull()) {
                return fallback;
            }
            if (node.isBoolean()) {
                return node.booleanValue();
            }
            if (node.isTextual()) {
                // a ${VAR} reference always yields text
                String value = substitute(node.textValue(), path).strip();
                if (value.equalsIgnoreCase("true")) {
                    return true;
                }
                if (value.equalsIgnoreCase("false")) {
                    return false;
                }
                throw error(path, "must be true or false, got '" + written(node, value) + "'");
            }
            throw error(path, "must be true or false, got a " + describe(node));
        }

        private String string(JsonNode node, String path) {
            if (node == null || node.isNull()) {
                return null;
            }
            if (!node.isTextual()) {
                throw error(path, "must be a string, got a " + describe(node)
                        + (node.isValueNode() ? " (quote it)" : ""));
            }
            return substitute(node.textValue(), path);
        }

        private ObjectNode object(JsonNode node, String path, boolean required) {
            if (node == null || node.isNull()) {
                if (required) {
                    throw error(path, "is required");
                }
                return null;
            }
            if (!node.isObject()) {
                throw error(path, "must be a map, got a " + describe(node));
            }
            return (ObjectNode) node;
        }

        private void known(ObjectNode node, String prefix, Set<String> known) {
            node.fieldNames().forEachRemaining(field -> {
                if (!known.contains(field)) {
                    throw error(prefix == null ? field : prefix + "." + field,
                            "unknown field (known: " + String.join(", ", known) + ")");
                }
            });
        }

        private JsonNode substituteTree(JsonNode node, String path) {
            if (node.isTextual()) {
                return JsonNodeFactory.instance.textNode(substitute(node.textValue(), path));
            }
            if (node.isObject()) {
                ObjectNode copy = JsonNodeFactory.instance.objectNode();
                node.properties().forEach(e -> copy.set(e.getKey(),
                        substituteTree(e.getValue(), path + "." + e.getKey())));
                return copy;
            }
            if (node.isArray()) {
                ArrayNode copy = JsonNodeFactory.instance.arrayNode();
                for (int i = 0; i < node.size(); i++) {
                    copy.add(substituteTree(node.get(i), path + "[" + i + "]"));
                }
                return copy;
            }
            return node.deepCopy();
        }

        private String substitute(String value, String path) {
            try {
                return EnvSubstitution.apply(value, env);
            } catch (EnvSubstitution.Failure f) {
                throw error(path, f.getMessage());
            }
        }

        private TriggerConfigException error(String field, String problem) {
            return new TriggerConfigException(file, trigger, field, problem);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /**
     * A bad value as the file wrote it, for an error message: a <code>${VAR}</code> reference is
     * shown as the reference, never as what it resolved to, since the variable may be a secret
     * referenced from the wrong field.
     */
    private static String written(JsonNode node, String resolved) {
        return shorten(node != null && node.isTextual() ? node.textValue() : resolved);
    }

    /** Keeps error messages short when a value (never a secret) is echoed. */
    private static String shorten(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }

    private static String describe(JsonNode node) {
        if (node.isArray()) {
            return "list";
        }
        if (node.isObject()) {
            return "map";
        }
        if (node.isNumber()) {
            return "number";
        }
        if (node.isBoolean()) {
            return "boolean";
        }
        if (node.isTextual()) {
            return "string";
        }
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }
}
