package org.acodm.data;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * prepare with the BPE tokenizers writes exactly the ids of each document's own encode call: prepare batches
 * documents into chunks, runs them on several threads and (for hf) reads only the ids out of the native batch
 * encode, so each minipile validation document's shard sequence is compared with {@link Tokenizer#encode} of that
 * document alone (DJL's public per-document API for hf, jtokkit's for tiktoken), and the shards written with one
 * thread and with three are byte-identical.
 */
class PrepareBpeShardsTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"hf", "tiktoken:cl100k_base"})
    void shardsHoldEachDocumentsOwnIds(String name) throws IOException {
        String spec = name.equals("hf") ? "hf:" + TestData.neoxTokenizer() : name;
        Path val = TestData.minipile().resolve("val.jsonl.zst");
        try (Tokenizer tok = Tokenizer.fromSpec(spec)) {
            Path one = dir.resolve("one"), three = dir.resolve("three");
            List<SourceFile> input = CorpusSource.resolve(List.of(val.toString()));
            ShardPreparer.prepare(input, tok, one, ShardPreparer.Options.defaults().withThreads(1), ShardPreparer.Listener.NONE);
            Manifest m = ShardPreparer.prepare(input, tok, three, ShardPreparer.Options.defaults().withThreads(3), ShardPreparer.Listener.NONE);

            Map<String, List<String>> byDomain = new HashMap<>();
            for (TestData.Doc d : TestData.readIndependently(val)) byDomain.computeIfAbsent(d.domain(), k -> new ArrayList<>()).add(d.text());
            assertEquals(byDomain.keySet(), m.split(Split.VAL).keySet());
            long documents = 0;
            for (var e : byDomain.entrySet()) {
                Manifest.DomainStats s = m.split(Split.VAL).get(e.getKey());
                MmidIdxReference ref = new MmidIdxReference(three.resolve(s.shard()));
                assertEquals(e.getValue().size(), ref.sizes.length, e.getKey());
                for (int i = 0; i < ref.sizes.length; i++) {
                    int[] ids = tok.encode(e.getValue().get(i));
                    int[] expected = java.util.Arrays.copyOf(ids, ids.length + 1);
                    expected[ids.length] = tok.endOfDocument();
                    assertArrayEquals(expected, ref.sequence(i), name + " " + e.getKey() + " document " + i);
                    documents++;
                }
                for (String suffix : new String[] {".bin", ".idx"}) {
                    String file = s.shard() + suffix;
                    assertArrayEquals(Files.readAllBytes(one.resolve(file)), Files.readAllBytes(three.resolve(file)), file + ": 1 vs 3 threads");
                }
            }
            assertEquals(2616, documents);
        }
    }
}
