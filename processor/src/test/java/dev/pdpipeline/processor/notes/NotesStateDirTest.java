package dev.pdpipeline.processor.notes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotesStateDirTest {

    private static final long CACHE = 8L * 1024 * 1024;

    @Test
    void storesValuesOnDiskAndAppliesBatchesInOrderWithNullAsDelete(@TempDir Path dir) {
        try (NotesStateDir state = NotesStateDir.open(dir, CACHE)) {
            NotesStore store = state.store(NotesStateDir.REQUEST_LOG, 0);
            List<NotesStore.Write> batch = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                batch.add(new NotesStore.Write("req-" + i, bytes("v" + i)));
            }
            batch.add(new NotesStore.Write("req-7", bytes("newer")));
            batch.add(new NotesStore.Write("req-8", null));
            store.write(batch);
            store.put("req-9", null);
            store.put("req-10", bytes("put"));

            assertThat(text(store.get("req-1"))).isEqualTo("v1");
            assertThat(text(store.get("req-7"))).as("the later write of a batch wins").isEqualTo("newer");
            assertThat(store.get("req-8")).isNull();
            assertThat(store.get("req-9")).isNull();
            assertThat(text(store.get("req-10"))).isEqualTo("put");
            assertThat(store.get("never")).isNull();
            assertThat(store.approximateSize()).isPositive();
        }
    }

    @Test
    void startsEmptyWhateverAnEarlierRunLeft(@TempDir Path dir) {
        try (NotesStateDir state = NotesStateDir.open(dir, CACHE)) {
            state.store(NotesStateDir.LEDGER, 3600).put("result-1", bytes("{\"state\":\"done\"}"));
        }
        try (NotesStateDir again = NotesStateDir.open(dir, CACHE)) {
            assertThat(again.store(NotesStateDir.LEDGER, 3600).get("result-1"))
                    .as("restored from the topic at every start, never from old files").isNull();
        }
    }

    @Test
    void aSecondWriterOnTheSameDirectoryIsRefusedNamingTheSetting(@TempDir Path dir) {
        try (NotesStateDir first = NotesStateDir.open(dir, CACHE)) {
            assertThatThrownBy(() -> NotesStateDir.open(dir, CACHE)).isInstanceOf(NotesStore.StoreException.class)
                    .hasMessageContaining("in use").hasMessageContaining("STATE_DIR");
            assertThat(first.dir()).isEqualTo(dir);
        }
        NotesStateDir.open(dir, CACHE).close(); // released on close
    }

    @Test
    void aClosedStoreFailsClearlyInsteadOfTouchingFreedMemory(@TempDir Path dir) {
        NotesStore store;
        try (NotesStateDir state = NotesStateDir.open(dir, CACHE)) {
            store = state.store(NotesStateDir.REQUEST_LOG, 0);
        }
        assertThatThrownBy(() -> store.get("req-1")).isInstanceOf(NotesStore.StoreException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> store.put("req-1", bytes("x"))).isInstanceOf(NotesStore.StoreException.class);
    }

    @Test
    void theLedgerReadsAnEntrysStateWithoutParsingTheRest() {
        assertThat(ResultsLedger.stateOf(bytes("{\"state\":\"done\",\"note_ids\":[\"N1\"]}")))
                .isEqualTo(ResultsLedger.State.DONE);
        assertThat(ResultsLedger.stateOf(bytes("{\"result_id\":\"r\",\"x\":{\"state\":\"done\"},\"state\":\"attempting\"}")))
                .as("a nested state field is not the entry's").isEqualTo(ResultsLedger.State.ATTEMPTING);
        assertThat(ResultsLedger.stateOf(bytes("{\"state\":\"dead_lettered\",\"detail\":\"x\"}")))
                .isEqualTo(ResultsLedger.State.DEAD_LETTERED);
        assertThat(ResultsLedger.stateOf(bytes("{ \"state\" : \"attempting\" }"))).as("other spacing is parsed")
                .isEqualTo(ResultsLedger.State.ATTEMPTING);
        assertThatThrownBy(() -> ResultsLedger.stateOf(bytes("{\"state\":\"donex\"}")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ResultsLedger.stateOf(bytes("[1]"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ResultsLedger.stateOf(bytes("{\"state\":\"maybe\"}")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
