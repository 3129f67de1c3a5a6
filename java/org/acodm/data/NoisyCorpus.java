package org.acodm.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.acodm.config.Mappers;

/**
 * A corpus with a known answer ({@code acodm corpus noisy}): a copy of a Pile-layout corpus with N more domains of
 * uniformly random printable ASCII, each as many bytes in each split as the median domain of that split: one named
 * {@value #DOMAIN}, or {@code Noise-1} .. {@code Noise-N}. No model can learn them (their best loss is ln 95 nats per
 * byte from the first step), so a mixing method that helps the real domains gives them little weight, and one that
 * chases high loss (ODM) gives them the most; with N of them, uniform weights waste N / (K + N) of the data.
 *
 * <p>Every file is copied byte for byte except the last of each split (in path order), which is rewritten with the
 * noise documents after its own lines, in the same format (zstd or plain), through {@link StagedCorpus}. The text of
 * noise domain i (from 0) is a pure function of (seed, i) through {@link CounterRandom#CORPUS}: {@code Noise-1} holds
 * the text that the single {@value #DOMAIN} domain of the same seed holds.
 */
public final class NoisyCorpus {
    public static final String DOMAIN = "Noise";
    /** Bytes of every noise document but a split's last (which holds the remainder). */
    static final int DOCUMENT_BYTES = 4096;
    /** Printable ASCII: space to tilde. */
    static final int FIRST = 0x20, CHARS = 0x7F - 0x20;

    /**
     * What a split got: its domains (noise not counted), their median size in bytes, and the noise added: how many
     * domains, and each one's documents and bytes.
     */
    public record SplitSummary(Split split, int domains, long medianBytes, int noiseDomains, long documentsEach, long bytesEach) {}

    private NoisyCorpus() {}

    /** The names of {@code n} noise domains: {@value #DOMAIN} alone, or {@code Noise-1} .. {@code Noise-n}. */
    public static List<String> domainNames(int n) {
        if (n < 1) throw new IllegalArgumentException("--noise-domains must be at least 1, got " + n);
        if (n == 1) return List.of(DOMAIN);
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= n; i++) names.add(DOMAIN + "-" + i);
        return names;
    }

    /**
     * Copies the corpus at {@code from} (a directory in the Pile layout) to {@code out} with {@code noiseDomains} noise
     * domains added. {@code out} must not exist or be empty; a domain that already has one of their names is an error
     * naming its file and line.
     */
    public static List<SplitSummary> build(Path from, Path out, long seed, int noiseDomains, PileReader.Options options, Consumer<String> log)
            throws IOException {
        List<String> names = domainNames(noiseDomains);
        try (StagedCorpus staged = StagedCorpus.create(from, out)) {
            List<SourceFile> files = CorpusSource.resolve(List.of(from.toString()));
            Map<Split, List<SourceFile>> bySplit = new EnumMap<>(Split.class);
            for (SourceFile f : files) bySplit.computeIfAbsent(f.split(), s -> new ArrayList<>()).add(f);

            Map<Split, Map<String, Long>> bytes = new EnumMap<>(Split.class);
            for (SourceFile f : files) {
                log.accept("reading " + f.path());
                Map<String, Long> perDomain = bytes.computeIfAbsent(f.split(), s -> new LinkedHashMap<>());
                try (PileReader r = PileReader.open(f.path(), options)) {
                    for (PileDocument d = r.next(); d != null; d = r.next()) {
                        if (names.contains(d.domain()))
                            throw new CorpusFormatException(f.path(), d.line(), "the corpus already has a domain named '" + d.domain() + "'");
                        perDomain.merge(d.domain(), (long) d.text().getBytes(StandardCharsets.UTF_8).length, Long::sum);
                    }
                }
            }

            String label = names.size() == 1 ? DOMAIN : names.get(0) + " .. " + names.get(names.size() - 1);
            List<SplitSummary> summary = new ArrayList<>();
            for (Map.Entry<Split, List<SourceFile>> e : bySplit.entrySet()) {
                Split split = e.getKey();
                List<SourceFile> splitFiles = e.getValue();
                long[] sizes = bytes.getOrDefault(split, Map.of()).values().stream().mapToLong(Long::longValue).toArray();
                long median = median(sizes);
                long docs = 0;
                for (int i = 0; i < splitFiles.size(); i++) {
                    Path src = splitFiles.get(i).path();
                    if (i < splitFiles.size() - 1) {
                        staged.copy(src);
                    } else {
                        log.accept("writing " + src.getFileName() + " with " + (names.size() == 1 ? "" : names.size() + " x ") + median
                                + " bytes of " + label + " (" + split + ")");
                        docs = appendNoise(src, staged, split, names, median, seed, options);
                    }
                }
                summary.add(new SplitSummary(split, sizes.length, median, names.size(), docs, median));
            }
            staged.commit();
            return summary;
        }
    }

    /** The median (the mean of the middle two, rounded down, for an even count); 0 for none. */
    static long median(long[] values) {
        if (values.length == 0) return 0;
        long[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** The text of document {@code doc} of noise domain {@code domain} (from 0) in {@code split}: {@code length} printable ASCII characters. */
    static String noiseText(long seed, Split split, int domain, long doc, int length) {
        long document = ((long) domain << 32) | doc;
        char[] c = new char[length];
        for (int i = 0; i < length; i++)
            c[i] = (char) (FIRST + CounterRandom.scaled(CounterRandom.CORPUS.bits(seed, split.ordinal(), document, i), CHARS));
        return new String(c);
    }

    /**
     * Writes src's lines and then, for each name, {@code total} bytes of noise documents to src's staged file; returns
     * the number of documents of each domain.
     */
    private static long appendNoise(Path src, StagedCorpus staged, Split split, List<String> names, long total, long seed,
                                    PileReader.Options options) throws IOException {
        long docsEach = (total + DOCUMENT_BYTES - 1) / DOCUMENT_BYTES;
        if (docsEach >= 1L << 32)  // the document number shares a coordinate with the domain (CounterRandom.CORPUS)
            throw new IllegalArgumentException(split + ": " + total + " bytes per noise domain is more than this generator numbers");
        boolean zst = src.getFileName().toString().endsWith(".zst");
        try (InputStream raw = Files.newInputStream(src);
             InputStream in = zst ? new ZstdInputStream(raw) : raw;
             OutputStream out = staged.open(src)) {
            byte[] buf = new byte[1 << 16];
            int last = '\n';
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                last = buf[n - 1];
            }
            if (last != '\n') out.write('\n');
            for (int domain = 0; domain < names.size(); domain++) {
                long written = 0;
                for (long doc = 0; written < total; doc++) {
                    int len = (int) Math.min(DOCUMENT_BYTES, total - written);
                    ObjectNode o = Mappers.JSON.createObjectNode();
                    put(o, options.textField(), noiseText(seed, split, domain, doc, len));
                    put(o, options.domainField(), names.get(domain));
                    out.write(Mappers.JSON.writeValueAsBytes(o));
                    out.write('\n');
                    written += len;
                }
            }
        }
        return docsEach;
    }

    /** Sets {@code path} (a.b.c) in {@code root}, creating the objects on the way. */
    private static void put(ObjectNode root, FieldPath path, String value) {
        ObjectNode at = root;
        List<String> keys = path.keys();
        for (int i = 0; i < keys.size() - 1; i++) at = at.has(keys.get(i)) ? (ObjectNode) at.get(keys.get(i)) : at.putObject(keys.get(i));
        at.put(keys.get(keys.size() - 1), value);
    }
}
