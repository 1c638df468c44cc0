#!/usr/bin/env python3
"""A reference agent in Python: answers its pipeline requests with a short diagnosis note.

It consumes ``agent.<AGENT_NAME>.requests`` in a consumer group with ``read_committed``,
answers each request once with a result on ``agent.results`` keyed by the incident id,
publishes with ``acks=all`` and commits a batch's offsets only after every result of the batch
was acknowledged. Results are checked against ``schemas/result.schema.json`` before they are
published. SIGTERM (or Ctrl-C) stops it cleanly: the batch in hand is finished, the consumer
leaves its group, the process exits 0.

Run it:  python examples/agent-python/agent.py   (see README.md beside this file)

Works with confluent-kafka 1.7 (Debian 12's python3-confluent-kafka) up to the current
release, and jsonschema 4.10 or newer.
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

try:
    from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
    import jsonschema
except ImportError as missing:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        "Missing Python module: %s. Install them with `pip install -r %s` "
        "(or on Debian/Ubuntu: apt-get install python3-confluent-kafka python3-jsonschema)\n"
        % (missing.name, Path(__file__).with_name("requirements.txt")))
    sys.exit(3)

LOG = logging.getLogger("agent")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 3

DEFAULT_AGENT_NAME = "diagnostic-agent"
DEFAULT_TOPIC_TEMPLATE = "agent.{agent}.requests"
DEFAULT_RESULTS_TOPIC = "agent.results"
DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092"
DEFAULT_SCHEMA = Path(__file__).resolve().parent.parent.parent / "schemas" / "result.schema.json"
# Variables of Kafka's own shell scripts, not client properties (as the Java services).
NOT_CLIENT_PROPERTIES = {
    "KAFKA_HOME", "KAFKA_OPTS", "KAFKA_HEAP_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_LOG4J_OPTS",
    "KAFKA_JMX_OPTS", "KAFKA_DEBUG", "KAFKA_GC_LOG_OPTS",
}
BATCH = 100
POLL_SECONDS = 0.5
SEND_TIMEOUT_SECONDS = 30.0
RETRY_PAUSE_SECONDS = 1.0
# How many answered request ids are remembered (oldest forgotten first).
REMEMBERED_REQUESTS = 100_000


class ConfigError(Exception):
    """A setting that cannot work; the message names the variable."""


class Settings:
    """The agent's configuration, from the same environment variables as the pipeline's services."""

    def __init__(self, env):
        self.agent = _value(env, "AGENT_NAME", DEFAULT_AGENT_NAME)
        template = _value(env, "AGENT_TOPIC_TEMPLATE", DEFAULT_TOPIC_TEMPLATE)
        if "{agent}" not in template:
            raise ConfigError("AGENT_TOPIC_TEMPLATE must contain {agent}, got '%s'" % template)
        self.request_topic = template.replace("{agent}", self.agent)
        self.group_id = _value(env, "AGENT_GROUP_ID", "example-python-" + self.agent)
        self.results_topic = _value(env, "RESULTS_TOPIC", DEFAULT_RESULTS_TOPIC)
        for variable, topic in (("AGENT_TOPIC_TEMPLATE", self.request_topic), ("RESULTS_TOPIC", self.results_topic)):
            if not _legal_topic(topic):
                raise ConfigError("%s gives '%s', not a legal Kafka topic name (letters, digits, '.', '_', '-')"
                                  % (variable, topic))
        self.schema_path = Path(_value(env, "AGENT_RESULT_SCHEMA", str(DEFAULT_SCHEMA)))
        self.client = kafka_client_properties(env)

    def __repr__(self):
        # never the client properties: they may hold SASL passwords
        return "Settings(agent=%s, request_topic=%s, group_id=%s, results_topic=%s, bootstrap=%s)" % (
            self.agent, self.request_topic, self.group_id, self.results_topic, self.client["bootstrap.servers"])


def kafka_client_properties(env):
    """KAFKA_FOO_BAR=x becomes the client property foo.bar=x, as in the Java services.

    librdkafka (under confluent-kafka) uses the same names as the Java client for the usual
    settings: bootstrap.servers, security.protocol, sasl.mechanism, ssl.ca.location, ...
    """
    props = {}
    for name in sorted(env):
        value = env[name]
        if name.startswith("KAFKA_") and len(name) > len("KAFKA_") and value and value.strip() \
                and name not in NOT_CLIENT_PROPERTIES:
            props[name[len("KAFKA_"):].lower().replace("_", ".")] = value.strip()
    props["bootstrap.servers"] = props.get("bootstrap.servers") or DEFAULT_BOOTSTRAP_SERVERS
    return props


def _value(env, name, default):
    value = env.get(name)
    return value.strip() if value and value.strip() else default


def _legal_topic(topic):
    return 0 < len(topic) <= 249 and all(c.isascii() and (c.isalnum() or c in "._-") for c in topic)


def result_id(request_id, agent):
    """A stable idempotency key: a request handled twice (crash before the commit) writes one note."""
    return hashlib.sha256(("example-agent-python\n%s\n%s" % (agent, request_id)).encode("utf-8")).hexdigest()[:32]


def _text(obj, field):
    value = obj.get(field) if isinstance(obj, dict) else None
    if value is None or isinstance(value, (dict, list)):
        return None
    value = str(value)
    return value if value.strip() else None


def _first(*values):
    for value in values:
        if value is not None:
            return value
    return None


def diagnosis_note(request):
    """The note text: the incident's facts and a canned checklist (it diagnoses nothing for real)."""
    md = request.get("metadata") if isinstance(request.get("metadata"), dict) else {}
    service = _first(_text(md, "service_name"), _text(md, "service_id"), "unknown service")
    number = md.get("incident_number")
    lines = [
        "**Example diagnosis (Python agent)** for incident%s: %s" % (
            " #%s" % number if isinstance(number, int) else "",
            _first(_text(md, "title"), _text(request, "text"), "(no title)")),
        "",
        "- Priority: %s · Urgency: %s · Status: %s" % (
            _first(_text(md, "priority"), "none"), _first(_text(md, "urgency"), "unknown"),
            _first(_text(md, "status"), "unknown")),
        "- Service: %s%s" % (service, " (%s)" % md["service_id"]
                             if _text(md, "service_id") and _text(md, "service_name") else ""),
        "- Event: %s at %s, trigger `%s`" % (
            _first(_text(md, "event_type"), "?"), _first(_text(md, "occurred_at"), "?"),
            _first(_text(request, "trigger"), "?")),
        "",
        "Checklist:",
        "1. Check recent deploys and config changes of %s." % service,
        "2. Compare its error rate and latency with the last 24 hours.",
        "3. Check the health of its dependencies (databases, queues, upstream APIs).",
        "4. Look for other open incidents on the same service.",
        "",
    ]
    if request.get("replay") is True:
        lines.append("_Answer to a replayed request._")
    lines.append("_From the example Python agent: a canned checklist, not a real diagnosis._")
    return "\n".join(lines)


class Unanswerable(Exception):
    """A request this agent cannot answer; the message says why."""


def answer(request, agent):
    """The result for a request envelope (a dict), or raises Unanswerable."""
    if not isinstance(request, dict):
        raise Unanswerable("value is not a JSON object")
    if request.get("schema_version") != 1:
        raise Unanswerable("schema_version %r is not 1" % (request.get("schema_version"),))
    request_id = _text(request, "request_id")
    if request_id is None:
        raise Unanswerable("request has no request_id")
    md = request.get("metadata") if isinstance(request.get("metadata"), dict) else {}
    incident_id = _text(md, "incident_id")
    if incident_id is None:
        raise Unanswerable("request %s is not about an incident (metadata.incident_id is null): nothing to write "
                           "a note on" % request_id)
    # answer as the agent the request was routed to: the notes writer checks that they match
    as_agent = _text(request, "agent") or agent
    return {
        "request_id": request_id,
        "incident_id": incident_id,
        "agent": as_agent,
        "note": diagnosis_note(request),
        "result_id": result_id(request_id, as_agent),
    }


def summary(request):
    md = request.get("metadata") if isinstance(request.get("metadata"), dict) else {}
    return "incident %s '%s' %s %s on %s (%s%s)" % (
        _first(_text(md, "incident_id"), "-"), _first(_text(md, "title"), ""),
        _first(_text(md, "priority"), "no priority"), _first(_text(md, "urgency"), "?"),
        _first(_text(md, "service_name"), _text(md, "service_id"), "?"), _first(_text(md, "event_type"), "?"),
        ", replay" if request.get("replay") is True else "")


def load_validator(path):
    try:
        with open(path, "rb") as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        raise ConfigError("AGENT_RESULT_SCHEMA: cannot read the result schema %s: %s" % (path, e))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


class RememberedRequests:
    """The request ids answered lately, oldest forgotten first (bounded memory)."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.ids = collections.OrderedDict()

    def __contains__(self, request_id):
        return request_id in self.ids

    def add(self, request_id):
        self.ids[request_id] = True
        self.ids.move_to_end(request_id)
        while len(self.ids) > self.capacity:
            self.ids.popitem(last=False)


class Agent:
    def __init__(self, settings, validator):
        self.settings = settings
        self.validator = validator
        self.running = True
        self.answered = 0
        self.skipped = 0
        self.remembered = RememberedRequests(REMEMBERED_REQUESTS)
        consumer_conf = dict(settings.client)
        consumer_conf.update({
            "group.id": settings.group_id,
            "isolation.level": "read_committed",  # requests are written in transactions
            "enable.auto.commit": False,  # commit after the results are acknowledged
            "enable.auto.offset.store": False,
        })
        consumer_conf.setdefault("auto.offset.reset", "earliest")
        consumer_conf.setdefault("client.id", "example-agent-python-" + settings.agent)
        producer_conf = dict(settings.client)
        producer_conf.update({"acks": "all", "enable.idempotence": True})
        producer_conf.setdefault("client.id", "example-agent-python-%s-results" % settings.agent)
        try:
            self.consumer = Consumer(consumer_conf)
            self.producer = Producer(producer_conf)
        except KafkaException as e:
            raise ConfigError("Kafka client settings (KAFKA_* variables): %s" % e)

    def stop(self, signum=None, frame=None):
        if self.running:
            LOG.info("Stopping on signal %s after the batch in hand", signum)
        self.running = False

    def run(self):
        self.consumer.subscribe([self.settings.request_topic])
        LOG.info("Python agent %s consuming %s as group %s, answering on %s (%s)", self.settings.agent,
                 self.settings.request_topic, self.settings.group_id, self.settings.results_topic,
                 self.settings.client["bootstrap.servers"])
        try:
            while self.running:
                messages = self.consumer.consume(num_messages=BATCH, timeout=POLL_SECONDS)
                records = []
                for message in messages:
                    error = message.error()
                    if error is None:
                        records.append(message)
                    elif error.code() == KafkaError._PARTITION_EOF:
                        continue
                    elif error.fatal():
                        raise KafkaException(error)
                    else:
                        LOG.warning("Consumer error (retried by the client): %s", error)
                if records:
                    self.handle_batch(records)
        finally:
            self.producer.flush(SEND_TIMEOUT_SECONDS)
            self.consumer.close()  # leaves the group; nothing uncommitted is lost (handled again next time)
        LOG.info("Python agent %s stopped: %d answered, %d skipped", self.settings.agent, self.answered, self.skipped)

    def handle_batch(self, records):
        """Answers a batch, waits for the acknowledgements, then commits; on failure handles it again."""
        failures = []
        acked = []

        def delivered(error, message):
            if error is not None:
                failures.append(error)
            else:
                acked.append(message)

        pending = []  # request ids to remember once acknowledged
        first = {}
        last = {}
        for record in records:
            tp = (record.topic(), record.partition())
            first.setdefault(tp, record.offset())
            last[tp] = record.offset()
            result = self.result_for(record, pending)
            if result is None:
                continue
            self.producer.produce(self.settings.results_topic, key=result["incident_id"].encode("utf-8"),
                                  value=json.dumps(result, ensure_ascii=False).encode("utf-8"), on_delivery=delivered)
            self.producer.poll(0)
            pending.append(result["request_id"])
        remaining = self.producer.flush(SEND_TIMEOUT_SECONDS)
        if remaining or failures:
            LOG.warning("Publishing results to %s failed (%s); handling the batch again in %.0f s",
                        self.settings.results_topic, failures[0] if failures else "%d not acknowledged" % remaining,
                        RETRY_PAUSE_SECONDS)
            for (topic, partition), offset in first.items():
                self.consumer.seek(TopicPartition(topic, partition, offset))
            time.sleep(RETRY_PAUSE_SECONDS)
            return
        for request_id in pending:
            self.remembered.add(request_id)
        self.answered += len(pending)
        self.consumer.commit(offsets=[TopicPartition(topic, partition, offset + 1)
                                      for (topic, partition), offset in last.items()], asynchronous=False)

    def result_for(self, record, in_batch):
        """The result to publish for one record, or None (logged) when there is nothing to publish."""
        where = "%s-%d@%d" % (record.topic(), record.partition(), record.offset())
        try:
            request = json.loads(record.value()) if record.value() else None
        except ValueError as e:
            return self.skip(where, "not JSON: %s" % e)
        try:
            result = answer(request, self.settings.agent)
        except Unanswerable as e:
            return self.skip(where, str(e))
        if result["request_id"] in self.remembered or result["request_id"] in in_batch:
            return self.skip(where, "request %s was already answered" % result["request_id"])
        problems = sorted(self.validator.iter_errors(result), key=lambda e: list(e.path))
        if problems:
            return self.skip(where, "its result would be dead-lettered, schema says: %s" % "; ".join(
                "%s: %s" % ("/".join(str(p) for p in e.path) or "(root)", e.message) for e in problems))
        LOG.info("%s answered request %s from %s: %s", self.settings.agent, result["request_id"], where,
                 summary(request))
        return result

    def skip(self, where, why):
        self.skipped += 1
        LOG.warning("%s skipped the record at %s: %s", self.settings.agent, where, why)
        return None


def main():
    level = (os.environ.get("LOG_LEVEL") or "INFO").strip().upper()
    if not isinstance(logging.getLevelName(level), int):
        sys.stderr.write("Configuration error: LOG_LEVEL '%s' is not one of DEBUG, INFO, WARNING, ERROR\n" % level)
        return EXIT_CONFIG
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)-5s [%(name)s] %(message)s")
    try:
        settings = Settings(os.environ)
        validator = load_validator(settings.schema_path)
        agent = Agent(settings, validator)
    except (ConfigError, jsonschema.exceptions.SchemaError) as e:
        sys.stderr.write("Configuration error: %s\n" % e)
        return EXIT_CONFIG
    signal.signal(signal.SIGTERM, agent.stop)
    signal.signal(signal.SIGINT, agent.stop)
    try:
        agent.run()
    except KafkaException as e:
        LOG.error("Python agent %s failed; stopping: %s", settings.agent, e)
        return EXIT_FAILURE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
