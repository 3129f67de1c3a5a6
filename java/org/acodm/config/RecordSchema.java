package org.acodm.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reflective view of a config section record: its keys in declaration order, their types, docs and
 * {@link Default}s, the defaults instance built from those, and its canonical constructor. Loader, writer,
 * comparison and the reference page all read sections through this one class so they cannot disagree on a
 * key's name. A {@link KeyPerConstant} component contributes one key per constant of its map's key enum.
 */
final class RecordSchema {
    /** One key of a section: a whole component, or ({@code constant} set) one entry of a {@link KeyPerConstant} map. */
    record Field(String key, RecordComponent component, Type type, Class<?> raw, String doc, String defaultText, Enum<?> constant) {
        Object get(Object record) {
            Object value;
            try {
                Method m = component.getAccessor();
                m.setAccessible(true);
                value = m.invoke(record);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + component, e);
            }
            return constant == null || value == null ? value : ((Map<?, ?>) value).get(constant);
        }
    }

    private final Class<?> type;
    private final List<Field> fields;
    private final RecordComponent[] components;
    private final Constructor<?> constructor;
    private final String doc;
    private volatile Object defaults;

    private static final Map<Class<?>, RecordSchema> CACHE = new ConcurrentHashMap<>();

    private RecordSchema(Class<?> type) {
        if (!type.isRecord()) throw new IllegalStateException(type.getName() + " is not a record; config sections must be records");
        this.type = type;
        this.components = type.getRecordComponents();
        List<Field> fs = new ArrayList<>(components.length);
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            if (c.isAnnotationPresent(KeyPerConstant.class)) {
                fs.addAll(perConstant(type, c));
                continue;
            }
            Doc d = c.getAnnotation(Doc.class);
            if (d == null) throw new IllegalStateException(type.getName() + "." + c.getName() + " has no @Doc; every config key is documented");
            fs.add(new Field(keyOf(c), c, c.getGenericType(), c.getType(), expandChoices(d.value(), c.getType()), defaultText(type, c), null));
        }
        this.fields = List.copyOf(fs);
        try {
            this.constructor = type.getDeclaredConstructor(types);
            this.constructor.setAccessible(true);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type.getName() + " has no canonical constructor", e);
        }
        Doc d = type.getAnnotation(Doc.class);
        this.doc = d == null ? "" : d.value();
    }

    /** The keys of a {@link KeyPerConstant} component: one per constant of its map's key enum. */
    private static List<Field> perConstant(Class<?> type, RecordComponent c) {
        String where = type.getName() + "." + c.getName();
        Class<?> keys = c.getType() == Map.class ? rawClass(typeArgument(c.getGenericType(), 0)) : null;
        if (keys == null || !keys.isEnum() || !DescribedConstant.class.isAssignableFrom(keys))
            throw new IllegalStateException(where + ": @KeyPerConstant needs a Map keyed by an enum implementing DescribedConstant");
        Type value = typeArgument(c.getGenericType(), 1);
        List<Field> out = new ArrayList<>();
        for (Object k : keys.getEnumConstants()) {
            Enum<?> e = (Enum<?>) k;
            out.add(new Field(enumName(e), c, value, rawClass(value), ((DescribedConstant) e).keyDoc(), defaultText(type, c), e));
        }
        return out;
    }

    /** The component's {@link Default} text; null when it has none, which only a reference-typed key may. */
    private static String defaultText(Class<?> type, RecordComponent c) {
        Default d = c.getAnnotation(Default.class);
        String where = type.getName() + "." + c.getName();
        if (isSection(c.getType())) {
            if (d != null) throw new IllegalStateException(where + " is a section; its defaults are its own record's, not a @Default");
            return null;
        }
        if (d == null && c.getType().isPrimitive())
            throw new IllegalStateException(where + " has no @Default; every config key declares its default beside it");
        return d == null ? null : d.value();
    }

    /** {@code {choices}} in the doc of an enum key: its constants, each with its summary when it has one. */
    private static String expandChoices(String doc, Class<?> raw) {
        if (!doc.contains("{choices}")) return doc;
        if (!raw.isEnum()) throw new IllegalStateException("{choices} in a @Doc needs an enum key, not " + raw.getName());
        List<String> items = new ArrayList<>();
        for (Object k : raw.getEnumConstants()) {
            String summary = k instanceof DescribedConstant dc ? dc.summary() : "";
            items.add(enumName((Enum<?>) k) + (summary.isEmpty() ? "" : " (" + summary + ")"));
        }
        return doc.replace("{choices}", String.join(", ", items));
    }

    static RecordSchema of(Class<?> type) {
        return CACHE.computeIfAbsent(type, RecordSchema::new);
    }

    static boolean isSection(Class<?> type) { return type.isRecord(); }

    Class<?> type() { return type; }
    List<Field> fields() { return fields; }
    String doc() { return doc; }

    Field field(String key) {
        for (Field f : fields) if (f.key.equals(key)) return f;
        return null;
    }

    /**
     * The section with every key at its {@link Default} (nested sections at their own defaults), built once. Not
     * validated: defaults may leave a required key (data.path) empty for the user to fill.
     */
    Object defaults() {
        Object d = defaults;
        if (d == null) {
            Object[] values = new Object[fields.size()];
            ConfigErrors errors = ConfigErrors.detached(type.getName() + " @Default");
            for (int i = 0; i < values.length; i++) {
                Field f = fields.get(i);
                if (isSection(f.raw())) values[i] = RecordSchema.of(f.raw()).defaults();
                else if (f.defaultText() != null) values[i] = RecordBinder.defaultValue(f.defaultText(), f.type(), f.key(), errors);
            }
            if (!errors.isEmpty()) throw new IllegalStateException("bad @Default: " + String.join("; ", errors.messages()));
            defaults = d = construct(values);
        }
        return d;
    }

    /**
     * Calls the canonical constructor with one value per {@link #fields() field}, the entries of a
     * {@link KeyPerConstant} map gathered back into it; a compact constructor's IllegalArgumentException comes back as is.
     */
    Object construct(Object[] fieldValues) {
        Object[] args = new Object[components.length];
        for (int i = 0, f = 0; i < components.length; i++) {
            if (!components[i].isAnnotationPresent(KeyPerConstant.class)) {
                args[i] = fieldValues[f++];
                continue;
            }
            Map<Object, Object> entries = new LinkedHashMap<>();
            for (; f < fields.size() && fields.get(f).component().equals(components[i]); f++) entries.put(fields.get(f).constant(), fieldValues[f]);
            args[i] = Collections.unmodifiableMap(entries);
        }
        try {
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        } catch (InstantiationException | IllegalAccessException e) {
            throw new IllegalStateException("cannot construct " + type.getName(), e);
        }
    }

    static String keyOf(RecordComponent c) {
        Key k = c.getAnnotation(Key.class);
        return k != null ? k.value() : snakeCase(c.getName());
    }

    /** {@code evalWindowsPerDomain} to {@code eval_windows_per_domain}; digits stay attached ({@code beta1}). */
    static String snakeCase(String camel) {
        StringBuilder sb = new StringBuilder(camel.length() + 4);
        for (int i = 0; i < camel.length(); i++) {
            char ch = camel.charAt(i);
            if (Character.isUpperCase(ch)) {
                if (i > 0) sb.append('_');
                sb.append(Character.toLowerCase(ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    /** The YAML spelling of an enum constant: {@code FROZEN_ACTOR} is {@code frozen_actor}. */
    static String enumName(Enum<?> e) { return e.name().toLowerCase(Locale.ROOT); }

    static Class<?> rawClass(Type t) {
        if (t instanceof Class<?> c) return c;
        if (t instanceof ParameterizedType p) return (Class<?>) p.getRawType();
        throw new IllegalStateException("unsupported config type " + t);
    }

    /** The i-th type argument of a List or Map component; Object when it is raw. */
    static Type typeArgument(Type t, int i) {
        if (t instanceof ParameterizedType p) return p.getActualTypeArguments()[i];
        return Object.class;
    }
}
