package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class NoteFormatterTest {

    private static final String DIGEST = "0123456789abcdef0123456789abcdef";

    @Test
    void shortNoteEndsWithFooterNamingBotAgentAndMarker() {
        List<NoteFormatter.Part> parts = NoteFormatter.defaults().format("aofbot", "triage", DIGEST, "  **Root cause**: disk full\n");

        assertThat(parts).hasSize(1);
        NoteFormatter.Part part = parts.get(0);
        assertThat(part.marker()).isEqualTo("[pdpipeline:0123456789abcdef]");
        assertThat(part.content()).isEqualTo("**Root cause**: disk full\n\n— aofbot · agent triage · [pdpipeline:0123456789abcdef]");
    }

    @Test
    void longNoteIsSplitIntoNumberedPartsWithinTheLimitAndNothingIsLost() {
        StringBuilder note = new StringBuilder();
        for (int i = 0; note.length() < 2_500; i++) {
            note.append("line ").append(i).append(" of the analysis\n");
        }
        NoteFormatter formatter = new NoteFormatter(1_000, 10);

        List<NoteFormatter.Part> parts = formatter.format("bot", "agent-a", DIGEST, note.toString());

        assertThat(parts).hasSizeBetween(3, 4);
        int n = parts.size();
        StringBuilder rebuilt = new StringBuilder();
        for (int i = 0; i < n; i++) {
            NoteFormatter.Part part = parts.get(i);
            assertThat(part.content().length()).isLessThanOrEqualTo(1_000);
            assertThat(part.marker()).isEqualTo("[pdpipeline:0123456789abcdef:" + (i + 1) + "/" + n + "]");
            assertThat(part.content()).endsWith("— bot · agent agent-a · " + part.marker());
            rebuilt.append(part.content(), 0, part.content().indexOf("\n\n— bot")).append('\n');
        }
        for (String line : note.toString().strip().split("\n")) {
            assertThat(rebuilt.toString()).contains(line + "\n");
        }
    }

    @Test
    void noteBeyondMaxPartsIsTruncatedVisiblyNotDropped() {
        String note = "x".repeat(10_000);

        List<NoteFormatter.Part> parts = new NoteFormatter(1_000, 3).format("bot", "a", DIGEST, note);

        assertThat(parts).hasSize(3);
        assertThat(parts).allSatisfy(p -> assertThat(p.content().length()).isLessThanOrEqualTo(1_000));
        assertThat(parts.get(2).content()).contains("[truncated by pdpipeline:").contains("more characters not shown]");
    }

    @Test
    void splitNeverCutsASurrogatePair() {
        String note = "😀".repeat(2_000);

        List<NoteFormatter.Part> parts = new NoteFormatter(1_001, 10).format("bot", "a", DIGEST, note);

        assertThat(parts.size()).isGreaterThan(1);
        for (NoteFormatter.Part part : parts) {
            String body = part.content();
            for (int i = 0; i < body.length(); i++) {
                if (Character.isHighSurrogate(body.charAt(i))) {
                    assertThat(Character.isLowSurrogate(body.charAt(i + 1))).isTrue();
                    i++;
                } else {
                    assertThat(Character.isLowSurrogate(body.charAt(i))).isFalse();
                }
            }
        }
    }

    @Test
    void wholeMarkerDoesNotMatchPartMarkers() {
        assertThat(NoteFormatter.marker(DIGEST, 1, 3)).doesNotContain(NoteFormatter.marker(DIGEST, 1, 1));
    }

    @Test
    void rejectsUnusableLimits() {
        assertThatThrownBy(() -> new NoteFormatter(10, 1)).hasMessageContaining("maxChars");
        assertThatThrownBy(() -> new NoteFormatter(1_000, 0)).hasMessageContaining("maxParts");
    }
}
