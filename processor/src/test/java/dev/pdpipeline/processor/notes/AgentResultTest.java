package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class AgentResultTest {

    private static byte[] json(String s) {
        return s.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesAFullResult() throws Exception {
        AgentResult r = AgentResult.parse(json("{'request_id':'r1','incident_id':'PABC123','agent':'triage',"
                + "'note':'hello','status':'resolved','from_email':' bot@example.com ','result_id':'my-id'}"));

        assertThat(r).isEqualTo(new AgentResult("r1", "PABC123", "triage", "hello", "resolved", "bot@example.com", "my-id"));
    }

    @Test
    void defaultResultIdIsSha256OverRequestAgentNoteAndStatus() throws Exception {
        AgentResult r = AgentResult.parse(json("{'request_id':'r1','incident_id':'P1','agent':'a','note':'n'}"));

        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest("r1\na\nn\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(r.resultId()).isEqualTo(expected);
        assertThat(r.resultDigest()).isEqualTo(expected);
        AgentResult again = AgentResult.parse(json("{'agent':'a','note':'n','incident_id':'P1','request_id':'r1'}"));
        assertThat(again.resultId()).isEqualTo(expected);
    }

    @Test
    void ownNonHexResultIdGetsAHexDigestForTheMarker() throws Exception {
        AgentResult r = AgentResult.parse(json("{'request_id':'r1','incident_id':'P1','agent':'a','status':'acknowledged','result_id':'Run #7'}"));

        assertThat(r.resultDigest()).matches("[0-9a-f]{64}");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "not json                                                                  | INVALID_JSON",
        "[1,2]                                                                     | INVALID_JSON",
        "{'incident_id':'P1','agent':'a','note':'n'}                               | MISSING_FIELD",
        "{'request_id':'r','agent':'a','note':'n'}                                 | MISSING_FIELD",
        "{'request_id':'r','incident_id':'P1','note':'n'}                          | MISSING_FIELD",
        "{'request_id':'r','incident_id':'P1','agent':'a'}                         | MISSING_FIELD",
        "{'request_id':'r','incident_id':'P1','agent':'a','note':null,'status':null} | MISSING_FIELD",
        "{'request_id':5,'incident_id':'P1','agent':'a','note':'n'}                | INVALID_FIELD",
        "{'request_id':'r','incident_id':'../users','agent':'a','note':'n'}        | INVALID_FIELD",
        "{'request_id':'r','incident_id':'P1','agent':' ','note':'n'}              | INVALID_FIELD",
        "{'request_id':'r','incident_id':'P1','agent':'a','note':'  '}             | INVALID_FIELD",
        "{'request_id':'r','incident_id':'P1','agent':'a','note':{'x':1}}          | INVALID_FIELD",
        "{'request_id':'r','incident_id':'P1','agent':'a','note':'n','from_email':'nobody'} | INVALID_FIELD",
        "{'request_id':'r','incident_id':'P1','agent':'a','note':'n','result_id':''} | INVALID_FIELD",
        "{'request_id':'r','incident_id':'P1','agent':'a','status':'triggered'}    | UNKNOWN_STATUS",
        "{'request_id':'r','incident_id':'P1','agent':'a','status':'RESOLVED'}     | UNKNOWN_STATUS",
    })
    void invalidResultsAreRejectedWithTheirReason(String value, DeadLetterReason reason) {
        InvalidResultException e = catchThrowableOfType(InvalidResultException.class,
                () -> AgentResult.parse(json(value.trim())));

        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.getMessage()).isNotBlank();
    }

    @Test
    void emptyValueIsInvalidJson() {
        InvalidResultException e = catchThrowableOfType(InvalidResultException.class, () -> AgentResult.parse(new byte[0]));

        assertThat(e.reason()).isEqualTo(DeadLetterReason.INVALID_JSON);
    }
}
