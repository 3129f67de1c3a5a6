package org.acodm.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.acodm.config.Mappers;
import org.acodm.data.Manifest;

/**
 * Which prepared data a run trained on, as its checkpoints and run.json record it: the manifest's fingerprint (see
 * {@link Manifest#fingerprint}) with its tokenizer and domains, so that a data directory prepared again from other
 * input is noticed, and the difference named, before a resume or an evaluation uses it.
 */
record DataIdentity(String fingerprint, String tokenizer, List<String> domains) {
    static DataIdentity of(Manifest m) {
        return new DataIdentity(m.fingerprint(), m.tokenizer().spec(), m.domains());
    }

    ObjectNode toJson() {
        ObjectNode n = Mappers.JSON.createObjectNode();
        n.put("fingerprint", fingerprint);
        n.put("tokenizer", tokenizer);
        ArrayNode d = n.putArray("domains");
        domains.forEach(d::add);
        return n;
    }

    static DataIdentity fromJson(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("must be an object with fingerprint, tokenizer and domains");
        JsonNode f = n.get("fingerprint"), t = n.get("tokenizer"), d = n.get("domains");
        if (f == null || !f.isTextual() || t == null || !t.isTextual() || d == null || !d.isArray())
            throw new IllegalArgumentException("must hold \"fingerprint\" and \"tokenizer\" (strings) and \"domains\" (a list)");
        List<String> domains = new ArrayList<>();
        d.forEach(x -> domains.add(x.asText()));
        return new DataIdentity(f.textValue(), t.textValue(), List.copyOf(domains));
    }

    /** Null when {@code now} is the same data; else what differs, e.g. "the tokenizer (byte, now hf:...)". */
    String difference(DataIdentity now) {
        if (fingerprint.equals(now.fingerprint)) return null;
        List<String> d = new ArrayList<>();
        if (!tokenizer.equals(now.tokenizer)) d.add("the tokenizer (" + tokenizer + ", now " + now.tokenizer + ")");
        if (!domains.equals(now.domains)) {
            List<String> gone = new ArrayList<>(domains), added = new ArrayList<>(now.domains);
            gone.removeAll(now.domains);
            added.removeAll(domains);
            d.add("the domains (" + (gone.isEmpty() ? "" : "no longer there: " + gone) + (gone.isEmpty() || added.isEmpty() ? "" : "; ")
                    + (added.isEmpty() ? "" : "new: " + added) + (gone.isEmpty() && added.isEmpty() ? "another order" : "") + ")");
        }
        if (d.isEmpty()) d.add("the documents (same tokenizer and domains, other token counts)");
        return String.join(" and ", d);
    }
}
