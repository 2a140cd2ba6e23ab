package qbosync.mongoserver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;

/**
 * A non-unique index, which mongo-java-server accepts but ignores: an ordered map from the indexed values to the
 * positions of the documents holding them. It lives in memory and is rebuilt from the stored documents when the
 * server opens a collection. It narrows a query to the documents matching its equality on a prefix of the index's
 * keys, then a range or `$in` on the next key, as MongoDB's index bounds do; the collection still checks every
 * candidate against the whole query, so the index only ever has to return a superset of the matches.
 */
final class SecondaryIndex extends Index<Object> {

    /** Bounds below and above every value, for the keys a query leaves open. */
    private static final Object MIN = new Object();
    private static final Object MAX = new Object();
    /** A query with more `$in` combinations than this is served by scanning the prefix before it. */
    private static final int MAX_POINT_LOOKUPS = 1_000;

    private static final Comparator<Object[]> KEY_ORDER = (a, b) -> {
        for (int i = 0; i < a.length; i++) {
            int cmp = compareBound(a[i], b[i]);
            if (cmp != 0) return cmp;
        }
        return 0;
    };

    private static int compareBound(Object a, Object b) {
        if (a == b) return 0;
        if (a == MIN || b == MAX) return -1;
        if (a == MAX || b == MIN) return 1;
        return ValueComparator.asc().compare(a, b);
    }

    private final NavigableMap<Object[], Set<Object>> entries = new TreeMap<>(KEY_ORDER);
    /** What each document was indexed under, so removing it never depends on the document passed in. */
    private final Map<Object, List<Object[]>> keysByPosition = new HashMap<>();

    SecondaryIndex(String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
    }

    /** How a query can use this index: the bounds per key, and how many leading keys they cover. */
    record Bounds(List<List<Object[]>> ranges, int keysUsed) {}

    /**
     * The bounds this index gives `query`: equality (or `$in`) on each leading key the query pins, then at most one
     * range; null when the query does not constrain the first key.
     */
    Bounds boundsFor(Document query) {
        List<List<Object[]>> ranges = new ArrayList<>();
        int used = 0;
        for (String key : keys()) {
            Object condition = query.get(key);
            if (condition == null && !query.containsKey(key)) break;
            List<Object[]> range = rangeOf(condition);
            if (range == null) break;
            ranges.add(range);
            used++;
            boolean point = range.stream().allMatch(bound -> compareBound(bound[0], bound[1]) == 0);
            if (!point) break;
        }
        return used == 0 ? null : new Bounds(ranges, used);
    }

    /** The intervals `[low, high]` of one key that a query condition allows; null when it cannot be bounded. */
    private static List<Object[]> rangeOf(Object condition) {
        if (BsonRegularExpression.isRegularExpression(condition) || condition instanceof Collection) return null;
        if (!(condition instanceof Document)) {
            Object value = normalize(condition);
            return List.<Object[]>of(new Object[] {value, value});
        }
        Document operators = (Document) condition;
        if (operators.isEmpty() || !operators.keySet().stream().allMatch(op -> op.startsWith("$"))) return null;
        Object low = MIN;
        Object high = MAX;
        for (Map.Entry<String, Object> entry : operators.entrySet()) {
            Object value = entry.getValue();
            switch (entry.getKey()) {
                case "$eq" -> {
                    if (value instanceof Collection || value instanceof Document) return null;
                    low = high = normalize(value);
                }
                case "$in" -> {
                    if (operators.size() != 1 || !(value instanceof Collection<?> values)) return null;
                    List<Object[]> points = new ArrayList<>();
                    for (Object item : values) {
                        if (item instanceof Collection || item instanceof Document
                            || BsonRegularExpression.isRegularExpression(item)) return null;
                        Object point = normalize(item);
                        points.add(new Object[] {point, point});
                    }
                    return points;
                }
                case "$gt", "$gte" -> low = normalize(value);
                case "$lt", "$lte" -> high = normalize(value);
                default -> {
                    // $ne, $exists, $not, …: not a bound on this key (the query still filters by them).
                }
            }
        }
        if (low == MIN && high == MAX && !operators.containsKey("$eq")) return null;
        return List.<Object[]>of(new Object[] {low, high});
    }

    private static Object normalize(Object value) {
        return new KeyValue(value).normalized().get(0);
    }

    @Override
    public boolean canHandle(Document query) {
        return boundsFor(query) != null;
    }

    @Override
    public synchronized Iterable<Object> getPositions(Document query) {
        Bounds bounds = boundsFor(query);
        Set<Object> positions = new LinkedHashSet<>();
        if (bounds == null) return positions;
        int width = keys().size();
        for (Object[][] box : boxes(bounds)) {
            Object[] low = new Object[width];
            Object[] high = new Object[width];
            Arrays.fill(low, MIN);
            Arrays.fill(high, MAX);
            for (int i = 0; i < box.length; i++) {
                low[i] = box[i][0];
                high[i] = box[i][1];
            }
            if (KEY_ORDER.compare(low, high) > 0) continue;
            for (Set<Object> atKey : entries.subMap(low, true, high, true).values()) positions.addAll(atKey);
        }
        return new ArrayList<>(positions);
    }

    /** The cross product of each key's intervals (several only with `$in`), capped at MAX_POINT_LOOKUPS. */
    private static List<Object[][]> boxes(Bounds bounds) {
        List<Object[][]> boxes = new ArrayList<>();
        boxes.add(new Object[0][]);
        for (List<Object[]> range : bounds.ranges()) {
            if (boxes.size() * range.size() > MAX_POINT_LOOKUPS) {
                // Too many combinations: one interval spanning them all, which the query then filters.
                Object low = range.stream().map(b -> b[0]).min(SecondaryIndex::compareBound).orElse(MIN);
                Object high = range.stream().map(b -> b[1]).max(SecondaryIndex::compareBound).orElse(MAX);
                range = List.<Object[]>of(new Object[] {low, high});
            }
            List<Object[][]> next = new ArrayList<>();
            for (Object[][] box : boxes)
                for (Object[] interval : range) {
                    Object[][] grown = Arrays.copyOf(box, box.length + 1);
                    grown[box.length] = interval;
                    next.add(grown);
                }
            boxes = next;
        }
        return boxes;
    }

    private List<Object[]> keysOf(Document document) {
        List<Object[]> keys = new ArrayList<>();
        for (KeyValue keyValue : getKeyValues(document)) keys.add(keyValue.stream().toArray());
        return keys;
    }

    @Override
    public synchronized void add(Document document, Object position, MongoCollection<Object> collection) {
        List<Object[]> keys = keysOf(document);
        for (Object[] key : keys) entries.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(position);
        keysByPosition.put(position, keys);
    }

    @Override
    public synchronized Object remove(Document document) {
        Object position = document.get("_id");
        List<Object[]> keys = keysByPosition.remove(position);
        if (keys == null) return null;
        for (Object[] key : keys) {
            Set<Object> atKey = entries.get(key);
            if (atKey == null) continue;
            atKey.remove(position);
            if (atKey.isEmpty()) entries.remove(key);
        }
        return position;
    }

    @Override
    public synchronized void updateInPlace(Document oldDocument, Document newDocument, Object position,
                                           MongoCollection<Object> collection) {
        List<Object[]> keys = keysByPosition.get(position);
        if (keys != null && sameKeys(keys, keysOf(newDocument))) return;
        remove(oldDocument);
        add(newDocument, position, collection);
    }

    private static boolean sameKeys(List<Object[]> a, List<Object[]> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) if (KEY_ORDER.compare(a.get(i), b.get(i)) != 0) return false;
        return true;
    }

    /** Positions are found through the `_id` index; a secondary index is never asked which document is which. */
    @Override
    public Object getPosition(Document document) {
        return null;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<Object> collection) {
        // Not unique: every document may be added.
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Object> collection) {
        // Not unique: every update may be made.
    }

    @Override
    public synchronized long getCount() {
        return keysByPosition.size();
    }

    @Override
    public long getDataSize() {
        return 0;
    }

    @Override
    public synchronized void drop() {
        entries.clear();
        keysByPosition.clear();
    }
}
