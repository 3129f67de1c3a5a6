package org.acodm.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A number of a metrics line: read as Jackson reads a double ("NaN" included), but NaN where the line has none, so a
 * log written before a field existed does not read as 0. Also the ordered, read-only copies the records keep of their
 * maps (a line's keys stay in the run's domain order when written again).
 */
final class MetricNumber extends StdDeserializer<Double> {
    private static final long serialVersionUID = 1L;

    MetricNumber() { super(Double.class); }

    @Override public Double deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        return ctxt.readValue(p, Double.class);
    }

    @Override public Double getNullValue(DeserializationContext ctxt) { return Double.NaN; }

    @Override public Object getAbsentValue(DeserializationContext ctxt) { return Double.NaN; }

    /** {@code m} in its own order, read-only; empty for null. */
    static <V> Map<String, V> ordered(Map<String, V> m) {
        return m == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }
}
