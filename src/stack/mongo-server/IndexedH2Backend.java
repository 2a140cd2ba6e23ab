package qbosync.mongoserver;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;

/**
 * mongo-java-server's H2 backend with what qbo-sync relies on and the stock server lacks: non-unique indexes that
 * queries use ({@link SecondaryIndex}), a query planner that picks the `_id` index or the index covering most of a
 * query (stock only uses an index whose keys are exactly the query's), `explain` for `find`, the count MongoDB
 * reports for an unordered insert that hits duplicates, and index changes that never race inserts.
 *
 * Database and Collection are inner classes because H2Database opens its collections from inside its own
 * constructor, before a subclass could have stored anything: the enclosing backend (and its store) is already there.
 */
final class IndexedH2Backend extends H2Backend {

    /** H2Database's names for a collection's maps: kept identical so that stores written by stock servers open. */
    private static final String DATA_MAP_PREFIX = "databases.";
    private static final String META_MAP_PREFIX = "meta.";

    IndexedH2Backend(MVStore store) {
        super(store);
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new Database(databaseName, getMvStore(), getCursorRegistry());
    }

    @Override
    public synchronized MongoDatabase resolveDatabase(String databaseName) {
        return super.resolveDatabase(databaseName);
    }

    /** Every database opened so far (the TTL monitor's sweep). */
    List<Database> databases() {
        List<Database> databases = new ArrayList<>();
        for (String databaseName : List.copyOf(listDatabaseNames()))
            if (resolveDatabase(databaseName) instanceof Database ours) databases.add(ours);
        return databases;
    }

    final class Database extends H2Database {

        Database(String databaseName, MVStore store, CursorRegistry cursorRegistry) {
            super(databaseName, store, cursorRegistry);
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            String fullName = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> dataMap = getMvStore().openMap(DATA_MAP_PREFIX + fullName);
            MVMap<String, Object> metaMap = getMvStore().openMap(META_MAP_PREFIX + fullName);
            return new Collection(this, collectionName, options, dataMap, metaMap, cursorRegistry);
        }

        // Stock creates a collection named in a `create` command (mongoose sends one per model) outside the lock its
        // implicit creation by an insert takes, so the two can register the same namespace twice and the insert fails.
        @Override
        public synchronized MongoCollection<Object> createCollectionOrThrowIfExists(String collectionName,
                                                                                 CollectionOptions options) {
            return super.createCollectionOrThrowIfExists(collectionName, options);
        }

        @Override
        public synchronized void dropCollection(String collectionName, Oplog oplog) {
            super.dropCollection(collectionName, oplog);
        }

        @Override
        protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName,
                                                           List<IndexKey> keys, boolean sparse) {
            return new SecondaryIndex(indexName, keys, sparse);
        }

        /** The stored descriptions of this database's indexes, TTL options included (`Index` drops them). */
        List<Document> indexDescriptions() {
            List<Document> descriptions = new ArrayList<>();
            MongoCollection<Object> indexes = resolveCollection("system.indexes", false);
            if (indexes != null) for (Document description : indexes.queryAll()) descriptions.add(description);
            return descriptions;
        }

        /** The collection a stored index description names, if it still exists. */
        MongoCollection<Object> collectionOf(Document indexDescription) {
            String namespace = (String) indexDescription.get("ns");
            return resolveCollection(namespace.substring(databaseName.length() + 1), false);
        }

        @Override
        public Document handleCommand(Channel channel, String command, Document query,
                                      de.bwaldvogel.mongo.backend.DatabaseResolver databaseResolver, Oplog oplog) {
            if (command.equalsIgnoreCase("explain")) return explain(query);
            if (command.equalsIgnoreCase("create") && createsExistingAsIs(query)) return okay();
            Document result = super.handleCommand(channel, command, query, databaseResolver, oplog);
            if (command.equalsIgnoreCase("insert")) correctInsertCount(query, result);
            return result;
        }

        /**
         * MongoDB 7 answers a `create` of a collection that exists with the same options with ok (SERVER-60064); the
         * stock server fails it with NamespaceExists and logs an error for every model mongoose opens. Only a plain
         * create is answered so: one asking for options still goes to the stock server, which refuses it.
         */
        private boolean createsExistingAsIs(Document query) {
            for (String key : query.keySet()) {
                if (!key.equals("create") && !key.startsWith("$") && !key.equals("lsid")) return false;
            }
            return resolveCollection((String) query.get("create"), false) != null;
        }

        private Document okay() {
            Document response = new Document();
            Utils.markOkay(response);
            return response;
        }

        /** MongoDB counts the documents an insert stored; the stock server counts the documents it was sent. */
        private void correctInsertCount(Document query, Document result) {
            Object errors = result.get("writeErrors");
            if (!(errors instanceof List<?> writeErrors) || writeErrors.isEmpty()) return;
            int sent = ((java.util.Collection<?>) query.get("documents")).size();
            boolean ordered = !Boolean.FALSE.equals(query.get("ordered"));
            int stored = ordered
                ? ((Number) ((Document) writeErrors.get(0)).get("index")).intValue()
                : sent - writeErrors.size();
            result.put("n", stored);
        }

        /** `explain` of a `find`: the plan the collection would use, in MongoDB's shape (winningPlan stages). */
        private Document explain(Document query) {
            Object explained = query.get("explain");
            if (!(explained instanceof Document command) || !command.containsKey("find"))
                throw new de.bwaldvogel.mongo.exception.MongoServerError(
                    2, "BadValue", "explain is supported for find only");
            String collectionName = (String) command.get("find");
            Object filter = command.get("filter");
            MongoCollection<Object> collection = resolveCollection(collectionName, false);
            Document plan = collection instanceof Collection ours
                ? ours.plan(filter instanceof Document f ? f : new Document()).describe()
                : new Document("stage", "EOF");
            Document response = new Document("queryPlanner",
                new Document("namespace", getFullCollectionNamespace(collectionName)).append("winningPlan", plan));
            Utils.markOkay(response);
            return response;
        }
    }

    final class Collection extends H2Collection {

        Collection(MongoDatabase database, String collectionName, CollectionOptions options,
                   MVMap<Object, Document> dataMap, MVMap<String, Object> metaMap, CursorRegistry cursorRegistry) {
            super(database, collectionName, options, dataMap, metaMap, cursorRegistry);
        }

        // Stock changes the index list without the collection's lock, so an insert racing a createIndexes (as when
        // mongoose builds a model's indexes while its first documents arrive) fails with a
        // ConcurrentModificationException.
        @Override
        public synchronized void addIndex(Index<Object> index) {
            super.addIndex(index);
        }

        @Override
        public synchronized void dropIndex(String indexName) {
            super.dropIndex(indexName);
        }

        @Override
        public synchronized int count(Document query, int skip, int limit) {
            return super.count(query, skip, limit);
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                                             int batchSize, Document fieldSelector) {
            Plan plan = plan(query);
            if (plan.index == null)
                return matchDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
            return matchDocuments(query, plan.index.getPositions(plan.lookup), orderBy, numberToSkip, limit,
                batchSize, fieldSelector);
        }

        /**
         * The index that narrows `query` most: the `_id` index for an `_id` equality (or `$in`), then a unique index
         * whose every key the query pins, then the secondary index covering most leading keys; else a scan.
         */
        synchronized Plan plan(Document query) {
            Plan best = new Plan(null, null, 0);
            for (Index<Object> index : getIndexes()) {
                Plan candidate = planWith(index, query);
                if (candidate != null && candidate.score > best.score) best = candidate;
            }
            return best;
        }

        private Plan planWith(Index<Object> index, Document query) {
            if (index instanceof SecondaryIndex secondary) {
                SecondaryIndex.Bounds bounds = secondary.boundsFor(query);
                return bounds == null ? null : new Plan(index, query, bounds.keysUsed());
            }
            // A unique index: usable when the query pins each of its keys (the index wants exactly those keys).
            Document lookup = new Document();
            for (IndexKey key : index.getKeys()) {
                if (!query.containsKey(key.getKey())) return null;
                lookup.put(key.getKey(), query.get(key.getKey()));
            }
            if (!index.canHandle(lookup)) return null;
            boolean byId = index.getKeys().size() == 1 && index.getKeys().get(0).getKey().equals("_id");
            return new Plan(index, lookup, byId ? 1_000 : 100 + index.getKeys().size());
        }

        record Plan(Index<Object> index, Document lookup, int score) {
            Document describe() {
                if (index == null) return new Document("stage", "COLLSCAN");
                Document keyPattern = new Document();
                for (IndexKey key : index.getKeys()) keyPattern.put(key.getKey(), key.isAscending() ? 1 : -1);
                if (keyPattern.keySet().equals(Set.of("_id"))) return new Document("stage", "IDHACK");
                return new Document("stage", "FETCH").append("inputStage",
                    new Document("stage", "IXSCAN").append("indexName", index.getName())
                        .append("keyPattern", keyPattern).append("isUnique", index.isUnique()));
            }
        }
    }
}
