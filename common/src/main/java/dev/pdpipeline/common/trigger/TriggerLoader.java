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
 * Loads AOF PagerDuty {@code Trigger} resources, in both of AOF's schemas ({@code aof.sh/v1} with
 * {@code spec.platform.type: pagerduty}, {@code aof.dev/v1} with {@code spec.type: PagerDuty}), from a
 * file or a directory, substituting <code>${VAR}</code> references from the environment map it was
 * given.
 *
 * <p>Stricter than AOF on purpose: unknown fields, wrong types and bad values are errors naming file,
 * trigger and field, found when a service starts rather than as deliveries that silently never
 * match. Other documents in the same files (Agents, other platforms) are skipped untouched, and each
 * skip is reported in {@link TriggerSet#skipped()}; a document that looks like a PagerDuty Trigger is
 * never skipped: it loads or it is an error. The accepted formats are described in docs/triggers.md.
 */
public final class TriggerLoader {

    /** The apiVersion of a Trigger with {@code spec.platform}. */
    public static final String API_VERSION = Trigger.AOF_SH_V1;
    /** The apiVersion of a Trigger with {@code spec.type}. */
    public static final String DEV_API_VERSION = Trigger.AOF_DEV_V1;
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

    private static final Set<String> DEV_SPEC_FIELDS = ordered("type", "config", "commands", "default_agent",
            "enabled", "parameters", "filter");
    private static final Set<String> DEV_CONFIG_FIELDS = ordered("webhook_secret", "api_key", "service_ids",
            "events", "urgencies", "statuses", "bot_name", "from_email", "allowed_teams", "min_priority",
            "min_urgency");
    /** aof.dev/v1 config fields accepted and reported as not used, with why. */
    private static final Map<String, String> DEV_CONFIG_NOT_USED = orderedMap(
            "path", "the ingress always serves POST /webhooks/pagerduty",
            "methods", "the ingress always serves POST /webhooks/pagerduty",
            "port", "the ingress listens on INGRESS_PORT",
            "host", "the ingress listens on INGRESS_HOST",
            "routing_key", "an Events API routing key sends events to PagerDuty; this pipeline receives webhooks");
    /** aof.dev/v1 config fields that would change what is accepted or routed, and cannot be honoured. */
    private static final Set<String> DEV_CONFIG_UNSUPPORTED = ordered("required_headers", "users", "channels",
            "patterns", "chat_ids", "guild_ids", "repositories", "github_events", "cron", "timezone");
    private static final Set<String> COMMAND_FIELDS = ordered("agent", "flow", "fleet", "description");
    private static final Set<String> URGENCIES = ordered("high", "low");
    private static final Set<String> STATUSES = ordered("triggered", "acknowledged", "resolved");

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
        List<SkippedDocument> skipped = new ArrayList<>();
        Map<String, Trigger> byName = new HashMap<>();
        for (Path file : files(fileOrDirectory)) {
            for (Trigger t : loadFile(file, skipped)) {
                Trigger earlier = byName.putIfAbsent(t.name(), t);
                if (earlier != null) {
                    String where = earlier.source().equals(file) ? "earlier in this file" : "in " + earlier.source();
                    throw new TriggerConfigException(file, t.name(), "metadata.name",
                            "duplicate trigger name, also defined " + where);
                }
                all.add(t);
            }
        }
        LOG.debug("Loaded {} trigger(s) from {}, skipped {} document(s)", all.size(), fileOrDirectory,
                skipped.size());
        return new TriggerSet(all, skipped);
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

    private List<Trigger> loadFile(Path file, List<SkippedDocument> skipped) {
        String text = read(file);
        List<JsonNode> documents = parse(file, text);
        List<Trigger> triggers = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            JsonNode doc = documents.get(i);
            if (doc == null || doc.isNull() || doc.isMissingNode() || (doc.isTextual() && doc.textValue().isEmpty())) {
                continue; // an empty document (a trailing ---) holds nothing that could be lost
            }
            String skip = skipReason(doc);
            if (skip == null) {
                triggers.add(new DocumentReader(file, i + 1).read((ObjectNode) doc));
            } else {
                SkippedDocument s = new SkippedDocument(file, i + 1, text(doc, "apiVersion"), text(doc, "kind"),
                        doc == null ? null : text(doc.path("metadata"), "name"), platformOf(doc), skip);
                skipped.add(s);
                LOG.debug("{}", s.describe());
            }
        }
        return triggers;
    }

    /**
     * Why a document is not read as a PagerDuty Trigger, or null when it must be read. Anything whose
     * platform is PagerDuty and whose kind is absent or some spelling of Trigger must be read (and
     * is an error if it cannot be), so a typo never turns a Trigger into a silent skip.
     */
    static String skipReason(JsonNode doc) {
        if (doc == null || doc.isNull() || doc.isMissingNode()) {
            return "empty document";
        }
        if (!doc.isObject()) {
            return "not a map";
        }
        String kind = text(doc, "kind");
        String platform = platformOf(doc);
        boolean pagerDuty = platform != null && platform.strip().equalsIgnoreCase("pagerduty");
        boolean triggerLike = kind == null || kind.strip().equalsIgnoreCase("trigger");
        if (pagerDuty && triggerLike) {
            return null;
        }
        if (kind == null) {
            return "no kind, not a Trigger";
        }
        if (!kind.equals("Trigger")) {
            return "kind " + shorten(kind) + ", not a Trigger";
        }
        if (platform == null) {
            return "no platform (spec.platform.type or spec.type), not a PagerDuty Trigger";
        }
        return "platform " + shorten(platform.strip().toLowerCase(Locale.ROOT)) + ", not a PagerDuty Trigger";
    }

    /** {@code spec.platform.type} (aof.sh/v1) or {@code spec.type} (aof.dev/v1), when text. */
    private static String platformOf(JsonNode doc) {
        if (doc == null || !doc.isObject()) {
            return null;
        }
        String sh = text(doc.path("spec").path("platform"), "type");
        return sh != null ? sh : text(doc.path("spec"), "type");
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v != null && v.isTextual() ? v.textValue() : null;
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
            JsonNode spec = doc.get("spec");
            boolean dev = spec != null && spec.isObject() && spec.has("type") && !spec.has("platform");
            return dev ? readDev(doc) : readSh(doc);
        }

        /** metadata.name, checked; sets {@link #trigger} for later messages. */
        private ObjectNode metadata(ObjectNode doc) {
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
            known(metadata, "metadata", METADATA_FIELDS);
            stringMap(metadata.get("labels"), "metadata.labels");
            stringMap(metadata.get("annotations"), "metadata.annotations");
            return metadata;
        }

        private void apiVersion(ObjectNode doc, String expected, String layout) {
            String kind = string(doc.get("kind"), "kind");
            if (!"Trigger".equals(kind)) {
                throw error("kind", kind == null ? "is required, must be 'Trigger' (this is a PagerDuty Trigger)"
                        : "must be 'Trigger' (this is a PagerDuty Trigger), got '" + written(doc.get("kind"), kind)
                        + "'");
            }
            String apiVersion = string(doc.get("apiVersion"), "apiVersion");
            if (!expected.equals(apiVersion)) {
                boolean otherSchema = Trigger.AOF_SH_V1.equals(apiVersion) || Trigger.AOF_DEV_V1.equals(apiVersion);
                throw error("apiVersion", apiVersion == null ? "is required, must be '" + expected + "'"
                        : "must be '" + expected + "' for a Trigger, got '" + written(doc.get("apiVersion"), apiVersion)
                        + "'" + (otherSchema ? " (" + layout + ")" : ""));
            }
        }

        Trigger readSh(ObjectNode doc) {
            ObjectNode metadata = metadata(doc);
            String name = trigger;
            known(doc, null, TOP_FIELDS);
            apiVersion(doc, API_VERSION,
                    "a Trigger with spec.platform is aof.sh/v1; aof.dev/v1 Triggers use spec.type and spec.config");
            String namespace = blankToNull(string(metadata.get("namespace"), "metadata.namespace"));

            ObjectNode spec = object(doc.get("spec"), "spec", true);
            known(spec, "spec", SPEC_FIELDS);
            ObjectNode platform = object(spec.get("platform"), "spec.platform", true);
            known(platform, "spec.platform", PLATFORM_FIELDS);
            ObjectNode config = object(platform.get("config"), "spec.platform.config", true);
            known(config, "spec.platform.config", CONFIG_FIELDS);

            String webhookSecret = secret(config, "spec.platform.config.", "webhook_secret", true);
            String apiToken = secret(config, "spec.platform.config.", "api_token", false);
            Extras x = extras(config, "spec.platform.config.");
            List<String> eventTypes = stringList(config.get("event_types"), "spec.platform.config.event_types");
            List<String> services = stringList(config.get("allowed_services"),
                    "spec.platform.config.allowed_services");

            String agent = string(spec.get("agent"), "spec.agent");
            if (agent == null || agent.isBlank()) {
                throw error("spec.agent", "is required: the name of the agent that handles the deliveries");
            }
            legalName(spec.get("agent"), agent, "spec.agent", "agent");
            boolean enabled = bool(spec.get("enabled"), "spec.enabled", true);
            ObjectNode params = parameters(spec);
            Map<String, List<String>> filter = filter(spec.get("filter"));

            return new Trigger(name, namespace, file, agent, enabled, webhookSecret, apiToken, x.botName,
                    x.fromEmail, eventTypes, services, x.teams, x.minPriority, x.minUrgency, filter, params);
        }

        /**
         * An aof.dev/v1 PagerDuty Trigger: {@code spec.type}, {@code spec.config}, {@code commands}
         * (event type to agent/flow/fleet) and {@code default_agent}. Field mapping in docs/triggers.md.
         */
        Trigger readDev(ObjectNode doc) {
            ObjectNode metadata = metadata(doc);
            String name = trigger;
            known(doc, null, TOP_FIELDS);
            apiVersion(doc, DEV_API_VERSION,
                    "a Trigger with spec.type is aof.dev/v1; aof.sh/v1 Triggers use spec.platform");
            String namespace = blankToNull(string(metadata.get("namespace"), "metadata.namespace"));
            List<String> notUsed = new ArrayList<>();

            ObjectNode spec = object(doc.get("spec"), "spec", true);
            known(spec, "spec", DEV_SPEC_FIELDS);
            ObjectNode config = object(spec.get("config"), "spec.config", true);
            for (String field : iterable(config.fieldNames())) {
                String path = "spec.config." + field;
                if (DEV_CONFIG_NOT_USED.containsKey(field)) {
                    notUsed.add(path + ": not used by this pipeline (" + DEV_CONFIG_NOT_USED.get(field) + ")");
                } else if (DEV_CONFIG_UNSUPPORTED.contains(field)) {
                    throw error(path, "would change which deliveries are accepted or routed, and this pipeline"
                            + " cannot honour it for PagerDuty webhooks; remove it (fields used: "
                            + String.join(", ", DEV_CONFIG_FIELDS) + ")");
                } else if (!DEV_CONFIG_FIELDS.contains(field)) {
                    throw error(path, "unknown field (known: " + String.join(", ", DEV_CONFIG_FIELDS)
                            + "; accepted but not used: " + String.join(", ", DEV_CONFIG_NOT_USED.keySet()) + ")");
                }
            }
            String webhookSecret = secret(config, "spec.config.", "webhook_secret", true);
            String apiToken = secret(config, "spec.config.", "api_key", false);
            Extras x = extras(config, "spec.config.");
            List<String> eventTypes = stringList(config.get("events"), "spec.config.events");
            List<String> services = stringList(config.get("service_ids"), "spec.config.service_ids");
            Map<String, List<String>> filter = filter(spec.get("filter"));
            choice(config, "urgencies", URGENCIES, "urgency", filter);
            choice(config, "statuses", STATUSES, "status", filter);

            Map<String, Target> commands = new LinkedHashMap<>();
            ObjectNode commandMap = object(spec.get("commands"), "spec.commands", false);
            if (commandMap != null) {
                for (Map.Entry<String, JsonNode> e : commandMap.properties()) {
                    String eventType = e.getKey();
                    String path = "spec.commands." + eventType;
                    Target target = command(e.getValue(), path);
                    if (eventType.isBlank() || !eventType.equals(eventType.strip())) {
                        throw error(path, "an event type must not be blank or have surrounding whitespace");
                    }
                    if (eventType.startsWith("/")) {
                        notUsed.add(path + ": not used by this pipeline (a chat command: PagerDuty webhooks carry"
                                + " none, they are routed by event type such as incident.triggered)");
                    } else if (!eventTypes.isEmpty() && !eventTypes.contains(eventType)) {
                        notUsed.add(path + ": not used by this pipeline (" + eventType
                                + " is not in spec.config.events, so it is never routed)");
                    } else {
                        commands.put(eventType, target);
                    }
                }
            }
            String defaultAgent = null;
            JsonNode defaultNode = spec.get("default_agent");
            String defaultText = blankToNull(string(defaultNode, "spec.default_agent"));
            if (defaultText != null) {
                defaultAgent = legalName(defaultNode, defaultText, "spec.default_agent", "agent");
            }
            if (commands.isEmpty() && defaultAgent == null) {
                throw error("spec.commands", "routes nothing: map at least one event type to an agent, flow or"
                        + " fleet (incident.triggered: {flow: incident-flow}), or set spec.default_agent");
            }
            String agent = defaultAgent != null ? defaultAgent : commands.values().iterator().next().name();
            boolean enabled = bool(spec.get("enabled"), "spec.enabled", true);
            ObjectNode params = parameters(spec);

            return new Trigger(name, namespace, file, agent, enabled, webhookSecret, apiToken, x.botName,
                    x.fromEmail, eventTypes, services, x.teams, x.minPriority, x.minUrgency, filter, params,
                    DEV_API_VERSION, commands, defaultAgent, notUsed);
        }

        /** One entry of {@code commands}: exactly one of agent, flow, fleet (and an optional description). */
        private Target command(JsonNode node, String path) {
            ObjectNode map = object(node, path, true);
            Target target = null;
            String first = null;
            for (String field : iterable(map.fieldNames())) {
                if (!COMMAND_FIELDS.contains(field)) {
                    throw error(path + "." + field, "unknown target kind or field '" + shorten(field)
                            + "': a command names exactly one of agent, flow or fleet (and may have a description)");
                }
                if (field.equals("description")) {
                    string(map.get(field), path + ".description");
                    continue;
                }
                if (target != null) {
                    throw error(path, "has both " + first + " and " + field + ": a command routes to exactly one"
                            + " target (agent, flow or fleet)");
                }
                String value = string(map.get(field), path + "." + field);
                if (value == null || value.isBlank()) {
                    throw error(path + "." + field, "must name the " + field);
                }
                legalName(map.get(field), value, path + "." + field, field);
                target = new Target(Target.Kind.parse(field).orElseThrow(), value);
                first = field;
            }
            if (target == null) {
                throw error(path, "names no target: give one of agent, flow or fleet");
            }
            return target;
        }

        /** {@code urgencies}/{@code statuses}: a set of allowed values, honoured as a {@code spec.filter} entry. */
        private void choice(ObjectNode config, String field, Set<String> allowed, String filterField,
                Map<String, List<String>> filter) {
            String path = "spec.config." + field;
            List<String> values = stringList(config.get(field), path);
            if (values.isEmpty()) {
                return;
            }
            List<String> lower = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                String v = values.get(i).toLowerCase(Locale.ROOT);
                if (!allowed.contains(v)) {
                    throw error(path + "[" + i + "]", "must be one of " + String.join(", ", allowed) + ", got '"
                            + shorten(values.get(i)) + "'");
                }
                lower.add(v);
            }
            if (filter.containsKey(filterField)) {
                throw error(path, "conflicts with spec.filter.metadata." + filterField + ": keep one of them");
            }
            filter.put(filterField, lower);
        }

        private String legalName(JsonNode node, String value, String path, String what) {
            if (!topics.isLegalAgentName(value)) {
                throw error(path, "'" + written(node, value) + "' is not a legal " + what + " name: use letters,"
                        + " digits, '.', '_' and '-' (it becomes part of a Kafka topic name)");
            }
            return value;
        }

        private ObjectNode parameters(ObjectNode spec) {
            JsonNode parameters = spec.get("parameters");
            if (parameters == null || parameters.isNull()) {
                return JsonNodeFactory.instance.objectNode();
            }
            return (ObjectNode) substituteTree(object(parameters, "spec.parameters", false), "spec.parameters");
        }

        private Extras extras(ObjectNode config, String prefix) {
            String botName = blankToNull(string(config.get("bot_name"), prefix + "bot_name"));
            String fromEmail = blankToNull(string(config.get("from_email"), prefix + "from_email"));
            if (fromEmail != null) {
                fromEmail = fromEmail.strip();
                if (!EMAIL.matcher(fromEmail).matches()) {
                    throw error(prefix + "from_email", "is not an email address (PagerDuty needs the"
                            + " email of a user of the account to attribute notes to)");
                }
            }
            List<String> teams = stringList(config.get("allowed_teams"), prefix + "allowed_teams");
            String priorityText = blankToNull(string(config.get("min_priority"), prefix + "min_priority"));
            Priority minPriority = null;
            if (priorityText != null) {
                minPriority = Priority.parse(priorityText).orElseThrow(() -> error(prefix + "min_priority",
                        "must be one of P1, P2, P3, P4, P5 (P1 highest), got '"
                                + written(config.get("min_priority"), priorityText) + "'"));
            }
            String urgencyText = blankToNull(string(config.get("min_urgency"), prefix + "min_urgency"));
            Urgency minUrgency = null;
            if (urgencyText != null) {
                minUrgency = Urgency.parse(urgencyText).orElseThrow(() -> error(prefix + "min_urgency",
                        "must be 'high' or 'low', got '" + written(config.get("min_urgency"), urgencyText) + "'"));
            }
            return new Extras(botName, fromEmail, teams, minPriority, minUrgency);
        }

        private String secret(ObjectNode config, String prefix, String field, boolean required) {
            String path = prefix + field;
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

    /** The config fields both schemas share (besides secret, event types and services). */
    private record Extras(String botName, String fromEmail, List<String> teams, Priority minPriority,
            Urgency minUrgency) {
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(m);
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
