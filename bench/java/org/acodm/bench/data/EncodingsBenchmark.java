package org.acodm.bench.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.acodm.bench.InTurns;
import org.acodm.bench.Ratios;
import org.acodm.bench.Ratios.Ratio;
import org.acodm.data.PileDocument;
import org.acodm.data.Tokenizer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Group "data", encodings: what prepare's ids-only batch encode of the GPT-NeoX-20B tokenizer saves over DJL's public
 * {@code batchEncode}, which builds an {@link Encoding} per document (ids, tokens as strings, offsets, masks): the
 * path prepare took before. Both on minipile's {@code val.jsonl.zst} (3.4 MB of text) in prepare's batches; the two
 * token counts are checked against each other once.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// One fork: the tokenizers load once, the pairing steadies the ratio.
@Fork(1)
// A pass over the text takes seconds: one invocation per iteration, two to warm up, eight measured.
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 8, time = 1, timeUnit = TimeUnit.MILLISECONDS)
public class EncodingsBenchmark {
    @State(Scope.Benchmark)
    public static class Text {
        List<List<String>> batches;
        Tokenizer idsOnly;
        HuggingFaceTokenizer djl;
        long tokens;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            List<PileDocument> docs = PrepareBenchmark.read(BenchData.minipile().resolve("val.jsonl.zst"));
            batches = PrepareBenchmark.batches(docs);
            idsOnly = Tokenizer.fromSpec("hf:" + BenchData.neoxTokenizer());
            djl = HuggingFaceTokenizer.newInstance(BenchData.neoxTokenizer(), Map.of(
                    "addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            tokens = PrepareBenchmark.bareHf(idsOnly, batches);
            PrepareBenchmark.checkTokens((long) encodings(), tokens);
        }

        double idsOnly() { return PrepareBenchmark.checkTokens(PrepareBenchmark.bareHf(idsOnly, batches), tokens); }

        double encodings() {
            long n = 0;
            for (List<String> b : batches) for (Encoding e : djl.batchEncode(b)) n += e.getIds().length;
            return n;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            djl.close();
            idsOnly.close();
        }
    }

    /**
     * Each side's wall and process CPU nanoseconds in the current iteration (JMH zeroes the public fields before every
     * iteration), and the sides in turns, whose rotation runs on across iterations.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long idsOnlyNs, encodingsNs, invocations;
        public long idsOnlyCpuNs, encodingsCpuNs;
        InTurns turns;

        @Setup(Level.Trial)
        public void setUp(Text text) { turns = new InTurns(text::idsOnly, text::encodings); }

        void run(Blackhole sink) throws Exception {
            long[] ns = turns.run(sink), cpu = turns.cpuNs();
            idsOnlyNs += ns[0];
            encodingsNs += ns[1];
            idsOnlyCpuNs += cpu[0];
            encodingsCpuNs += cpu[1];
            invocations++;
        }
    }

    @Benchmark
    @Ratios(@Ratio(label = "ids-only / Encoding objects throughput", of = "encodings", over = "idsOnly", format = "%.2f"))
    public void lockstep(Times t, Blackhole sink) throws Exception {
        t.run(sink);
    }

    @Benchmark
    public double idsOnly(Text text) { return text.idsOnly(); }

    @Benchmark
    public double encodings(Text text) { return text.encodings(); }
}
