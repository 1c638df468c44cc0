"""Unit tests of the example agent's pure parts: python -m unittest discover examples/agent-python"""

import unittest

import agent

REQUEST = {
    "schema_version": 1,
    "request_id": "0123456789abcdef0123456789abcdef",
    "trigger": "diagnose-critical",
    "agent": "diagnostic-agent",
    "metadata": {"incident_id": "Q1ABC", "incident_number": 42, "title": "Disk full", "priority": "P1",
                 "urgency": "high", "status": "triggered", "service_id": "PSVC", "service_name": "db",
                 "event_type": "incident.triggered", "occurred_at": "2025-05-14T09:12:44Z"},
    "replay": False,
}


class AnswerTest(unittest.TestCase):

    def setUp(self):
        self.validator = agent.load_validator(agent.DEFAULT_SCHEMA)

    def test_answers_as_the_request_agent_about_its_incident_with_a_stable_result_id(self):
        result = agent.answer(REQUEST, "fallback")
        self.assertEqual(result["request_id"], REQUEST["request_id"])
        self.assertEqual(result["incident_id"], "Q1ABC")
        self.assertEqual(result["agent"], "diagnostic-agent")
        self.assertEqual(result["result_id"], agent.answer(dict(REQUEST), "other")["result_id"])
        self.assertIn("#42: Disk full", result["note"])
        self.assertIn("Service: db (PSVC)", result["note"])
        self.assertEqual(list(self.validator.iter_errors(result)), [])

    def test_refuses_requests_it_cannot_answer(self):
        for bad in ([], dict(REQUEST, schema_version=2), dict(REQUEST, request_id=None),
                    dict(REQUEST, metadata=dict(REQUEST["metadata"], incident_id=None))):
            with self.assertRaises(agent.Unanswerable):
                agent.answer(bad, "a")

    def test_the_schema_catches_a_result_the_notes_writer_would_dead_letter(self):
        result = agent.answer(REQUEST, "a")
        self.assertTrue(list(self.validator.iter_errors(dict(result, incident_id="Q1ABC\n"))))
        self.assertTrue(list(self.validator.iter_errors(dict(result, note="  "))))
        self.assertTrue(list(self.validator.iter_errors(dict(result, status="closed"))))
        self.assertEqual(list(self.validator.iter_errors(dict(result, status="resolved"))), [])


class SettingsTest(unittest.TestCase):

    def test_kafka_variables_become_client_properties_as_in_the_services(self):
        props = agent.kafka_client_properties({"KAFKA_BOOTSTRAP_SERVERS": " b:9 ", "KAFKA_SECURITY_PROTOCOL": "SSL",
                                               "KAFKA_HEAP_OPTS": "-Xmx1g", "KAFKA_": "x", "OTHER": "y"})
        self.assertEqual(props, {"bootstrap.servers": "b:9", "security.protocol": "SSL"})
        self.assertEqual(agent.kafka_client_properties({})["bootstrap.servers"], "localhost:9092")

    def test_topics_and_group_follow_the_agent_name(self):
        s = agent.Settings({"AGENT_NAME": "triage"})
        self.assertEqual((s.request_topic, s.group_id, s.results_topic),
                         ("agent.triage.requests", "example-python-triage", "agent.results"))
        with self.assertRaises(agent.ConfigError):
            agent.Settings({"AGENT_TOPIC_TEMPLATE": "requests"})
        with self.assertRaises(agent.ConfigError):
            agent.Settings({"AGENT_NAME": "bad name"})

    def test_remembers_a_bounded_number_of_requests(self):
        remembered = agent.RememberedRequests(2)
        for request_id in ("a", "b", "c"):
            remembered.add(request_id)
        self.assertNotIn("a", remembered)
        self.assertIn("c", remembered)


if __name__ == "__main__":
    unittest.main()
