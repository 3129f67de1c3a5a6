package org.acodm.data;

import java.util.Locale;
import java.util.Map;

/** The per-domain table {@code prepare} prints at the end, and the warnings under it. */
public final class PrepareSummary {
    private PrepareSummary() {}

    public static String table(Manifest m) {
        Map<String, Manifest.DomainStats> train = m.split(Split.TRAIN);
        Map<String, Manifest.DomainStats> val = m.split(Split.VAL);
        Map<String, Manifest.DomainStats> test = m.split(Split.TEST);
        int nameWidth = Math.max(6, m.domains().stream().mapToInt(String::length).max().orElse(6));
        StringBuilder sb = new StringBuilder();
        String head = "%3s  %-" + nameWidth + "s %12s %15s %12s %12s %9s%n";
        String row = "%3d  %-" + nameWidth + "s %,12d %,15d %,12d %,12d %9s%n";
        sb.append(String.format(Locale.ROOT, head, "id", "domain", "train docs", "train tokens", "val tokens", "test tokens", "bytes/tok"));
        long docs = 0, tokens = 0, bytes = 0, vt = 0, tt = 0;
        for (int i = 0; i < m.domains().size(); i++) {
            String d = m.domains().get(i);
            Manifest.DomainStats tr = train.get(d);
            long trDocs = tr == null ? 0 : tr.documents();
            long trTok = tr == null ? 0 : tr.tokens();
            long trBytes = tr == null ? 0 : tr.bytes();
            long v = val.containsKey(d) ? val.get(d).tokens() : 0;
            long t = test.containsKey(d) ? test.get(d).tokens() : 0;
            sb.append(String.format(Locale.ROOT, row, i, d, trDocs, trTok, v, t, ratio(trBytes, trTok)));
            docs += trDocs; tokens += trTok; bytes += trBytes; vt += v; tt += t;
        }
        sb.append(String.format(Locale.ROOT, "%3s  %-" + nameWidth + "s %,12d %,15d %,12d %,12d %9s%n", "", "total", docs, tokens, vt, tt, ratio(bytes, tokens)));
        sb.append(String.format(Locale.ROOT, "tokenizer %s (vocabulary %,d, end-of-document %d, %s tokens)%s%n",
                m.tokenizer().spec(), m.tokenizer().vocabSize(), m.tokenizer().endOfDocument(), m.tokenizer().dtype(),
                m.tokenizer().notes().isEmpty() ? "" : "; " + m.tokenizer().notes()));
        for (String w : m.warnings()) sb.append("warning: ").append(w).append(System.lineSeparator());
        return sb.toString();
    }

    private static String ratio(long bytes, long tokens) {
        return tokens == 0 ? "-" : String.format(Locale.ROOT, "%.2f", (double) bytes / tokens);
    }
}
