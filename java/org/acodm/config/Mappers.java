package org.acodm.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import java.io.IOException;

/**
 * The one configured Jackson mapper of each format. Per-use variations are Jackson's immutable readers and writers
 * of these ({@code JSON.writerWithDefaultPrettyPrinter()}, {@code JSON.readerFor(X.class).without(...)}), not
 * more mappers, so a setting made here holds everywhere.
 */
public final class Mappers {
    private Mappers() {}

    /**
     * JSON: compact output, unknown properties are errors (readers of files that may gain fields turn that off),
     * no limit on string length (one Pile document can be tens of MB, past Jackson's default of 20 MB).
     */
    public static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build()).build();

    /**
     * YAML as configs are read and written (config.yaml of runs and checkpoints, weight maps): no document start
     * marker, quotes only where needed, and a string is quoted whenever YAML would read it back as something else
     * ({@code "2024"}, {@code "1e5"}, {@code "null"}), so what is written loads back equal.
     */
    public static final YAMLMapper YAML = new YAMLMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .stringQuotingChecker(new ReadBackQuoting())
            .build());

    /**
     * Jackson's own checker leaves some number-like strings bare ({@code 1e5}, {@code 0x10}), which then read back as
     * numbers; quote every value the parser would not return as the same string.
     */
    private static final class ReadBackQuoting extends StringQuotingChecker.Default {
        private static final long serialVersionUID = 1L;

        @Override public boolean needToQuoteValue(String value) {
            return super.needToQuoteValue(value) || !readsBackAsString(value);
        }

        private static boolean readsBackAsString(String value) {
            try (JsonParser p = YAML.getFactory().createParser(value)) {
                return p.nextToken() == JsonToken.VALUE_STRING && value.equals(p.getText()) && p.nextToken() == null;
            } catch (IOException e) {
                return false;
            }
        }
    }
}
