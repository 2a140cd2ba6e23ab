package qbosync.mongoserver;

import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.bson.Document;

/**
 * MongoDB's TTL monitor, which mongo-java-server lacks (it accepts TTL indexes and never expires anything): every
 * sweep deletes, for each index with `expireAfterSeconds` on one field, the documents whose value there is a date
 * (or an array holding one) older than that many seconds. MongoDB sweeps every 60 s, and so does this by default.
 */
final class TtlMonitor implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(TtlMonitor.class);

    private final IndexedH2Backend backend;

    TtlMonitor(IndexedH2Backend backend) {
        this.backend = backend;
    }

    @Override
    public void run() {
        try {
            sweep(Instant.now());
        } catch (RuntimeException e) {
            // A failed sweep is retried at the next one; the scheduler would stop for good if this escaped.
            log.warn("TTL sweep failed", e);
        }
    }

    /** Deletes what has expired as of `now`; returns how many documents went. */
    int sweep(Instant now) {
        int deleted = 0;
        for (IndexedH2Backend.Database database : backend.databases()) {
            for (Document description : database.indexDescriptions()) {
                Object expireAfter = description.get("expireAfterSeconds");
                Document key = (Document) description.get("key");
                if (!(expireAfter instanceof Number seconds) || key == null || key.size() != 1) continue;
                MongoCollection<Object> collection = database.collectionOf(description);
                if (collection == null) continue;
                String field = key.keySet().iterator().next();
                // BSON dates arrive as Instants.
                Instant cutoff = now.minusMillis(Math.round(seconds.doubleValue() * 1000));
                // `$lt` with a date matches dates only (type bracketing), as MongoDB's monitor expires only dates.
                deleted += collection.deleteDocuments(new Document(field, new Document("$lt", cutoff)), 0);
            }
        }
        return deleted;
    }
}
