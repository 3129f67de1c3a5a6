package org.acodm.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A YAML configuration as written by the user: the raw tree plus where every key came from (file and line,
 * or the {@code --set} that put it there). Binding turns the whole tree, or any sub-tree, into section
 * records with defaults filled in; errors name the full dotted key and its origin. Immutable: overrides
 * return a new tree.
 *
 * <pre>
 * ConfigTree tree = ConfigTree.load(Path.of("configs/demo/acodm-proxy.yaml")).withOverrides(List.of("optimizer.lr=1e-3"));
 * RunConfig cfg = tree.bind(RunConfig.class);
 * AcOdmSettings a = tree.bind("mixing.acodm", AcOdmSettings.class);
 * </pre>
 */
public final class ConfigTree {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ObjectNode root;
    private final String source;
    private final Map<String, String> origins;

    private ConfigTree(ObjectNode root, String source, Map<String, String> origins) {
        this.root = root;
        this.source = source;
        this.origins = origins;
    }

    /** Reads a YAML file; its path as given is the source named in errors. A missing file is an IOException. */
    public static ConfigTree load(Path file) throws IOException {
        return parse(read(file, "config file"), file.toString());
    }

    /**
     * Reads a YAML file whose top level is a mapping, through the same reader as a config (line numbers, no duplicate
     * keys, no aliases, no non-finite numbers); {@code what} names such a file in errors ("weight map").
     */
    public static ConfigTree loadMapping(Path file, String what) throws IOException {
        return parse(read(file, what), file.toString(), "a " + what + " must be a YAML mapping");
    }

    /**
     * The text of a file given by the user. Reading /dev/zero, a FIFO or a directory would hang, exhaust memory or fail
     * with a bare message, so anything but a regular file is refused, saying what it is.
     */
    private static String read(Path file, String what) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, what + " not found");
        if (Files.isDirectory(file)) throw new IOException(file + ": is a directory, not a " + what + " (a YAML file)");
        if (!Files.isRegularFile(file))
            throw new IOException(file + ": is not a regular file (a device, a FIFO or a socket), not a " + what + " (a YAML file)");
        return utf8(Files.readAllBytes(file), file.toString());
    }

    /** The text of a config file, which must be UTF-8; the error names the line and the byte offset of the first bad byte. */
    static String utf8(byte[] bytes, String sourceName) {
        var decoder = StandardCharsets.UTF_8.newDecoder();
        var in = java.nio.ByteBuffer.wrap(bytes);
        var out = java.nio.CharBuffer.allocate(bytes.length);
        var result = decoder.decode(in, out, true);
        if (result.isError()) {
            int at = in.position(), line = 1;
            for (int i = 0; i < at; i++) if (bytes[i] == '\n') line++;
            throw new ConfigException(String.format(java.util.Locale.ROOT, "%s:%d: not UTF-8 text: byte 0x%02X at offset %d is not valid UTF-8 "
                    + "(a config file is UTF-8 YAML; convert it, e.g. iconv -f latin1 -t utf-8)", sourceName, line, bytes[at] & 0xFF, at));
        }
        decoder.flush(out);
        out.flip();
        for (int i = 0; i < out.length(); i++) {
            char c = out.charAt(i);
            if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) {
                int line = 1;
                for (int j = 0; j < i; j++) if (out.charAt(j) == '\n') line++;
                throw new ConfigException(String.format(java.util.Locale.ROOT, "%s:%d: control character U+%04X at character %d: this is not a "
                        + "text file (a config is UTF-8 YAML)", sourceName, line, (int) c, i));
            }
        }
        return out.toString();
    }

    /** Parses YAML text; {@code sourceName} is what errors call it. An empty text is an empty tree (all defaults). */
    public static ConfigTree parse(String yaml, String sourceName) {
        return parse(yaml, sourceName, "the top level must be a mapping of sections (run:, model:, ...)");
    }

    private static ConfigTree parse(String yaml, String sourceName, String mappingRequired) {
        Map<String, String> origins = new HashMap<>();
        JsonNode node = readYaml(yaml, sourceName, "", origins, true);
        if (node == null || node.isNull()) node = NODES.objectNode();
        if (!node.isObject()) throw new ConfigException(sourceName + ":1: " + mappingRequired + ", got " + RecordBinder.describe(node));
        return new ConfigTree((ObjectNode) node, sourceName, origins);
    }

    /** One YAML value (scalar, flow list or map) on its own, e.g. a {@link Default}; null for empty text. */
    static JsonNode parseValue(String text, String sourceName) {
        return readYaml(text, sourceName, "", new HashMap<>(), false);
    }

    /** No file: every value from defaults; overrides may still be applied. */
    public static ConfigTree empty() {
        return new ConfigTree(NODES.objectNode(), "<defaults>", Map.of());
    }

    /** The file (or other source) this tree was read from. */
    public String source() { return source; }

    /**
     * Applies {@code key=value} overrides in order, each value parsed as YAML (scalar, {@code [a, b]} list or
     * {@code {k: v}} map), replacing whatever the key held. Keys are dotted paths; missing sections are created.
     * Whether the key exists is checked when the tree is bound, with the {@code --set} named as the origin.
     */
    public ConfigTree withOverrides(List<String> assignments) {
        ConfigTree t = this;
        for (String a : assignments) t = t.withOverride(a);
        return t;
    }

    /** One {@code key=value} override; see {@link #withOverrides}. */
    public ConfigTree withOverride(String assignment) {
        String where = "--set " + assignment;
        int eq = assignment.indexOf('=');
        if (eq <= 0) throw new ConfigException(where + ": expected KEY=VALUE with a dotted key, e.g. optimizer.lr=3e-4");
        String key = assignment.substring(0, eq).trim();
        checkDottedKey(key, where);
        Map<String, String> valueOrigins = new HashMap<>();
        JsonNode value = readYaml(assignment.substring(eq + 1), where, key, valueOrigins, false);
        return with(key, value, where, valueOrigins);
    }

    /**
     * {@code dottedKey} set to {@code value} (a tree another file supplied, e.g. a study's per-run keys), replacing what
     * the key held; errors about it will name {@code origin} ("study.yaml:14"). Missing sections are created.
     */
    public ConfigTree withValue(String dottedKey, JsonNode value, String origin) {
        checkDottedKey(dottedKey, origin);
        return with(dottedKey, value == null ? null : value.deepCopy(), origin, new HashMap<>());
    }

    private static void checkDottedKey(String key, String where) {
        for (String p : key.split("\\.", -1))
            if (p.isEmpty()) throw new ConfigException(where + ": '" + key + "' is not a dotted key (empty part)");
    }

    private ConfigTree with(String key, JsonNode value, String where, Map<String, String> valueOrigins) {
        String[] parts = key.split("\\.", -1);
        Map<String, String> newOrigins = new HashMap<>(origins);
        // The old value's keys and lines no longer describe anything.
        newOrigins.keySet().removeIf(k -> k.equals(key) || k.startsWith(key + ".") || k.startsWith(key + "["));
        newOrigins.putAll(valueOrigins);
        if (value == null) value = NODES.nullNode();
        newOrigins.put(key, where);
        ObjectNode copy = root.deepCopy();
        ObjectNode at = copy;
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
            if (path.length() > 0) path.append('.');
            path.append(parts[i]);
            JsonNode next = at.get(parts[i]);
            if (next == null || next.isNull()) {
                ObjectNode created = NODES.objectNode();
                at.set(parts[i], created);
                newOrigins.putIfAbsent(path.toString(), where);
                at = created;
            } else if (next.isObject()) {
                at = (ObjectNode) next;
            } else {
                throw new ConfigException(where + ": cannot set '" + key + "': '" + path + "' holds " + RecordBinder.describe(next) + ", not a section");
            }
        }
        at.set(parts[parts.length - 1], value);
        return new ConfigTree(copy, source, newOrigins);
    }

    /** Binds the whole tree to a root section record; throws {@link ConfigException} listing every error. */
    public <R> R bind(Class<R> recordClass) {
        return bind("", recordClass);
    }

    /**
     * Binds the sub-tree at {@code dottedKey} ("" for the root) to {@code recordClass}, filling missing keys from
     * its {@link Default}s; unknown keys, wrong types and values its validation rejects are errors naming
     * {@code dottedKey.key}. A missing sub-tree binds to the defaults.
     */
    public <R> R bind(String dottedKey, Class<R> recordClass) {
        ConfigErrors errors = ConfigErrors.root(this::locate);
        JsonNode node = dottedKey.isEmpty() ? root : node(dottedKey).orElse(null);
        R value = new RecordBinder(errors).bindSection(node, recordClass, dottedKey);
        errors.throwIfAny();
        return value;
    }

    /** The raw sub-tree at a dotted key, if the file or an override wrote one. */
    public Optional<JsonNode> node(String dottedKey) {
        if (dottedKey.isEmpty()) return Optional.of(root.deepCopy());
        JsonNode at = root;
        for (String p : dottedKey.split("\\.")) {
            if (at == null || !at.isObject()) return Optional.empty();
            at = at.get(p);
        }
        return Optional.ofNullable(at).map(JsonNode::deepCopy);
    }

    /** Where a key was written ("configs/x.yaml:12", "--set a.b=1"); the nearest written parent, else the file. */
    public String locate(String dottedKey) {
        String k = dottedKey;
        while (!k.isEmpty()) {
            String o = origins.get(k);
            if (o != null) return o;
            int cut = Math.max(k.lastIndexOf('.'), k.lastIndexOf('['));
            k = cut < 0 ? "" : k.substring(0, cut);
        }
        return source;
    }

    // ---- YAML with line numbers. Jackson's tree model drops token locations, so the tree is built from the
    // ---- streaming parser, recording the line of every key and list element on the way.

    private static JsonNode readYaml(String text, String sourceName, String basePath, Map<String, String> origins, boolean lines) {
        try (JsonParser p = Mappers.YAML.getFactory().createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) return null;
            JsonNode node = readValue(p, new Reader(sourceName, origins, lines), basePath);
            if (p.nextToken() != null)
                throw new ConfigException(sourceName + lineSuffix(p.currentTokenLocation()) + ": more than one YAML document; a config is one mapping");
            return node;
        } catch (JsonProcessingException e) {
            throw new ConfigException(sourceName + lineSuffix(e.getLocation()) + ": not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException(sourceName + ": cannot read: " + e.getMessage());
        }
    }

    /** Where read values are recorded; {@code lines} is false for a --set value, whose line 1 says nothing. */
    private record Reader(String sourceName, Map<String, String> origins, boolean lines) {
        String at(JsonLocation loc) { return lines ? sourceName + lineSuffix(loc) : sourceName; }
    }

    /**
     * Anchors and aliases are refused, not resolved: Jackson's YAML parser hands an alias over as a string holding the
     * anchor's name ({@code name: *m} became "m", even where no anchor {@code &m} was defined), and a config whose
     * values are copied from elsewhere in the file is harder to read and to diff than one that writes them out. The
     * parser reports the anchor of a mapping or a list, not of a scalar; such an anchor is inert until an alias uses it.
     */
    private static void refuseAnchorsAndAliases(JsonParser p, Reader r, String path) throws IOException {
        if (!(p instanceof YAMLParser y)) return;
        String key = path.isEmpty() ? "" : path + ": ";
        if (y.isCurrentAlias())
            throw new ConfigException(r.at(p.currentTokenLocation()) + ": " + key + "YAML alias '*" + p.getText()
                    + "' is not supported (nor are anchors): write the value out in full");
        String anchor = y.getCurrentAnchor();
        if (anchor != null)
            throw new ConfigException(r.at(p.currentTokenLocation()) + ": " + key + "YAML anchor '&" + anchor
                    + "' is not supported (nor are aliases): write each value out in full");
    }

    private static JsonNode readValue(JsonParser p, Reader r, String path) throws IOException {
        JsonToken t = p.currentToken();
        refuseAnchorsAndAliases(p, r, path);
        switch (t) {
            case START_OBJECT: {
                ObjectNode obj = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    String child = path.isEmpty() ? name : path + "." + name;
                    refuseAnchorsAndAliases(p, r, child);
                    String where = r.at(p.currentTokenLocation());
                    if (obj.has(name)) throw new ConfigException(where + ": duplicate key '" + child + "'");
                    r.origins().put(child, where);
                    p.nextToken();
                    obj.set(name, readValue(p, r, child));
                }
                return obj;
            }
            case START_ARRAY: {
                ArrayNode arr = NODES.arrayNode();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    String child = path + "[" + i++ + "]";
                    r.origins().put(child, r.at(p.currentTokenLocation()));
                    arr.add(readValue(p, r, child));
                }
                return arr;
            }
            case VALUE_STRING: return NODES.textNode(p.getText());
            case VALUE_NUMBER_INT:
                switch (p.getNumberType()) {
                    case INT: return NODES.numberNode(p.getIntValue());
                    case LONG: return NODES.numberNode(p.getLongValue());
                    default: return NODES.numberNode(p.getBigIntegerValue());
                }
            case VALUE_NUMBER_FLOAT:
                try {
                    double v = p.getDoubleValue();
                    // 1e400 parses to Infinity without complaint, and a learning rate of Infinity trains to NaN.
                    if (!Double.isFinite(v))
                        throw new ConfigException(r.at(p.currentTokenLocation()) + ": " + (path.isEmpty() ? "" : path + ": ")
                                + "'" + p.getText() + "' is not a finite number (it is beyond the range of a double)");
                    return NODES.numberNode(v);
                } catch (JsonProcessingException e) {
                    // SnakeYAML's ".inf"/".nan" reach here; no config value is meant to be infinite.
                    throw new ConfigException(r.at(p.currentTokenLocation()) + ": " + (path.isEmpty() ? "" : path + ": ")
                            + "'" + p.getText() + "' is not a finite number");
                }
            case VALUE_TRUE: return NODES.booleanNode(true);
            case VALUE_FALSE: return NODES.booleanNode(false);
            case VALUE_NULL: return NODES.nullNode();
            default:
                throw new ConfigException(r.at(p.currentTokenLocation()) + ": unsupported YAML value (" + t + ")");
        }
    }

    private static String lineSuffix(JsonLocation loc) {
        return loc != null && loc.getLineNr() > 0 ? ":" + loc.getLineNr() : "";
    }
}
