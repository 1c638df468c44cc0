package dev.pdpipeline.common.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one JSON mapper of the pipeline.
 *
 * <p>Read constraints are tight on purpose: every byte we parse came from the network (webhooks,
 * agent results), and PagerDuty never sends more than 256 KB or deep nesting. Duplicate keys are
 * rejected because two parsers could otherwise disagree about which value counts.
 */
public final class Json {

    /** Deepest nesting accepted; PagerDuty payloads are about 6 levels deep. */
    public static final int MAX_NESTING_DEPTH = 64;
    /** Longest single string value accepted (a note body can be long; PagerDuty caps at 25k). */
    public static final int MAX_STRING_LENGTH = 2 * 1024 * 1024;
    /** Longest number literal accepted. */
    public static final int MAX_NUMBER_LENGTH = 100;

    private static final ObjectMapper MAPPER = JsonMapper.builder(
                    JsonFactory.builder()
                            .streamReadConstraints(StreamReadConstraints.builder()
                                    .maxNestingDepth(MAX_NESTING_DEPTH)
                                    .maxStringLength(MAX_STRING_LENGTH)
                                    .maxNumberLength(MAX_NUMBER_LENGTH)
                                    .build())
                            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                            .build())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private Json() {
    }

    /** Shared, thread-safe mapper; do not reconfigure it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
