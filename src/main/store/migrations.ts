import { ThawError } from '../errors'
import type Database from 'better-sqlite3'

/** Ordered schema migrations. `PRAGMA user_version` holds the last one applied, so a project
 * made by an older studio opens in a newer one: the missing steps run, in one transaction each.
 * Never edit a released step; add a new one. */
export interface Migration {
  version: number
  description: string
  up: (db: Database.Database) => void
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'projects, classes, images, imports, undo',
    up: (db) => {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE classes (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL UNIQUE,
          position INTEGER NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE TABLE images (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          path TEXT NOT NULL UNIQUE,
          root TEXT NOT NULL,
          rel_path TEXT NOT NULL,
          hash TEXT,
          bytes INTEGER,
          mtime_ms REAL,
          width INTEGER,
          height INTEGER,
          format TEXT,
          class_id INTEGER REFERENCES classes(id) ON DELETE SET NULL,
          split TEXT NOT NULL DEFAULT 'train' CHECK (split IN ('train', 'valid', 'test')),
          status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'problem', 'missing')),
          reason TEXT,
          imported_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        );
        CREATE INDEX images_hash ON images (hash);
        CREATE INDEX images_class_split ON images (class_id, split);
        CREATE INDEX images_split ON images (split);
        CREATE INDEX images_status ON images (status);
        CREATE INDEX images_root ON images (root);
        CREATE TABLE imports (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          root TEXT NOT NULL,
          started_at TEXT NOT NULL,
          finished_at TEXT,
          report TEXT
        );
        CREATE TABLE undo_actions (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          description TEXT NOT NULL,
          data TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
      `)
    }
  },
  {
    version: 2,
    description: 'activations cache and trained models',
    up: (db) => {
      db.exec(`
        -- One row per way of computing activations. Everything that changes the numbers is part of
        -- the key, so a changed backbone, cut, size, preprocessing or augmentation never serves a
        -- stale row; the image side of the key is its content hash.
        CREATE TABLE activation_sets (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          backbone TEXT NOT NULL,
          backbone_sha256 TEXT NOT NULL,
          layer TEXT NOT NULL,
          reduce TEXT NOT NULL,
          input_size INTEGER NOT NULL,
          preprocessing TEXT NOT NULL,
          augmentation TEXT NOT NULL,
          shape TEXT NOT NULL,
          dtype TEXT NOT NULL,
          created_at TEXT NOT NULL,
          UNIQUE (backbone, backbone_sha256, layer, reduce, input_size, preprocessing, augmentation, dtype)
        );
        CREATE TABLE activations (
          set_id INTEGER NOT NULL REFERENCES activation_sets(id) ON DELETE CASCADE,
          hash TEXT NOT NULL,
          view INTEGER NOT NULL,
          data BLOB NOT NULL,
          PRIMARY KEY (set_id, hash, view)
        ) WITHOUT ROWID;
        CREATE TABLE models (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          created_at TEXT NOT NULL,
          backbone TEXT NOT NULL,
          backbone_sha256 TEXT NOT NULL,
          classes TEXT NOT NULL,
          plan TEXT NOT NULL,
          report TEXT NOT NULL,
          weights BLOB NOT NULL
        );
        CREATE TABLE checkpoints (
          run_id TEXT PRIMARY KEY,
          created_at TEXT NOT NULL,
          state TEXT NOT NULL,
          weights BLOB NOT NULL
        );
      `)
    }
  },
  {
    version: 3,
    description: 'usable images per content hash, kept by triggers',
    up: (db) => {
      db.exec(`
        -- How many usable images share each content hash: duplicates (label noise, train/valid
        -- leaks) become one primary-key lookup instead of a count per row, which made the
        -- "issues" filter and the warning count slow on large libraries.
        CREATE TABLE hash_counts (hash TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO hash_counts (hash, n)
          SELECT hash, count(*) FROM images WHERE status = 'ok' AND hash IS NOT NULL GROUP BY hash;
        CREATE TRIGGER images_count_insert AFTER INSERT ON images
          WHEN NEW.status = 'ok' AND NEW.hash IS NOT NULL
          BEGIN
            INSERT INTO hash_counts (hash, n) VALUES (NEW.hash, 1) ON CONFLICT (hash) DO UPDATE SET n = n + 1;
          END;
        CREATE TRIGGER images_count_delete AFTER DELETE ON images
          WHEN OLD.status = 'ok' AND OLD.hash IS NOT NULL
          BEGIN
            UPDATE hash_counts SET n = n - 1 WHERE hash = OLD.hash;
          END;
        CREATE TRIGGER images_count_update AFTER UPDATE OF hash, status ON images
          BEGIN
            UPDATE hash_counts SET n = n - 1 WHERE hash = OLD.hash AND OLD.status = 'ok';
            INSERT INTO hash_counts (hash, n) SELECT NEW.hash, 1 WHERE NEW.status = 'ok' AND NEW.hash IS NOT NULL
              ON CONFLICT (hash) DO UPDATE SET n = n + 1;
          END;
      `)
    }
  },
  {
    version: 4,
    description: 'which runtime computed each activation row',
    up: (db) => {
      // 'onnx' or 'tfjs'; rows written before this step were all computed by TF.js. Rows of both
      // runtimes serve the same set: they agree within the frozen segment's check tolerance.
      db.exec(`ALTER TABLE activations ADD COLUMN runtime TEXT NOT NULL DEFAULT 'tfjs';`)
    }
  },
  {
    version: 5,
    description: 'models as numbered records: status, seed, dataset digest, names, notes, per-image predictions',
    up: (db) => {
      // Every run is a record, never overwritten. The models kept by older studios stay, with
      // their ids; their status comes from their report (a cancelled run said so).
      db.exec(`
        ALTER TABLE models ADD COLUMN run_id TEXT;
        ALTER TABLE models ADD COLUMN status TEXT NOT NULL DEFAULT 'finished' CHECK (status IN ('finished', 'cancelled', 'interrupted'));
        ALTER TABLE models ADD COLUMN auto INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE models ADD COLUMN name TEXT;
        ALTER TABLE models ADD COLUMN note TEXT NOT NULL DEFAULT '';
        ALTER TABLE models ADD COLUMN seed INTEGER;
        ALTER TABLE models ADD COLUMN views INTEGER;
        ALTER TABLE models ADD COLUMN dataset_sha256 TEXT;
        ALTER TABLE models ADD COLUMN continued_from TEXT;
        UPDATE models SET status = 'cancelled' WHERE json_extract(report, '$.cancelled') = 1;
        UPDATE models SET views = json_extract(report, '$.views');
        CREATE UNIQUE INDEX models_run_id ON models (run_id) WHERE run_id IS NOT NULL;
        -- A model's prediction for every usable image, keyed by content: an image's prediction
        -- does not change with its label or split, and copies share one row.
        CREATE TABLE model_predictions (
          model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
          hash TEXT NOT NULL,
          -- the class name, so filters compare it with a label in SQL
          predicted TEXT NOT NULL,
          confidence REAL NOT NULL,
          margin REAL NOT NULL,
          -- float32, in the order of the model's classes
          probs BLOB NOT NULL,
          PRIMARY KEY (model_id, hash)
        ) WITHOUT ROWID;
        CREATE INDEX model_predictions_margin ON model_predictions (model_id, margin);
      `)
    }
  },
  {
    version: 6,
    description: 'excluded images and reviewed label suspects',
    up: (db) => {
      db.exec(`
        -- An excluded image stays on disk and in the project, but training, validation, metrics
        -- and duplicate warnings leave it out; excluding is a label action (undoable).
        ALTER TABLE images ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0 CHECK (excluded IN (0, 1));
        CREATE INDEX images_excluded ON images (excluded) WHERE excluded = 1;
        -- hash_counts now counts usable images that are not excluded: excluding one copy of a
        -- duplicate clears its warning
        DROP TRIGGER images_count_insert;
        DROP TRIGGER images_count_delete;
        DROP TRIGGER images_count_update;
        CREATE TRIGGER images_count_insert AFTER INSERT ON images
          WHEN NEW.status = 'ok' AND NEW.excluded = 0 AND NEW.hash IS NOT NULL
          BEGIN
            INSERT INTO hash_counts (hash, n) VALUES (NEW.hash, 1) ON CONFLICT (hash) DO UPDATE SET n = n + 1;
          END;
        CREATE TRIGGER images_count_delete AFTER DELETE ON images
          WHEN OLD.status = 'ok' AND OLD.excluded = 0 AND OLD.hash IS NOT NULL
          BEGIN
            UPDATE hash_counts SET n = n - 1 WHERE hash = OLD.hash;
          END;
        CREATE TRIGGER images_count_update AFTER UPDATE OF hash, status, excluded ON images
          BEGIN
            UPDATE hash_counts SET n = n - 1 WHERE hash = OLD.hash AND OLD.status = 'ok' AND OLD.excluded = 0;
            INSERT INTO hash_counts (hash, n) SELECT NEW.hash, 1 WHERE NEW.status = 'ok' AND NEW.excluded = 0 AND NEW.hash IS NOT NULL
              ON CONFLICT (hash) DO UPDATE SET n = n + 1;
          END;
        -- "keep this label" on a suspect: not offered again while the image keeps that label
        CREATE TABLE label_reviews (
          image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
          class_id INTEGER NOT NULL,
          reviewed_at TEXT NOT NULL
        );
      `)
    }
  }
]

export const SCHEMA_VERSION = migrations[migrations.length - 1]!.version

export function migrate(db: Database.Database, steps: Migration[] = migrations): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number
  const latest = steps[steps.length - 1]?.version ?? 0
  if (from > latest) {
    throw new ThawError(
      'NEWER_PROJECT',
      `this project was written by a newer Thaw Studio (schema ${from}, this one knows up to ${latest}); update the app to open it`
    )
  }
  for (const step of steps) {
    if (step.version <= from) continue
    db.transaction(() => {
      step.up(db)
      db.pragma(`user_version = ${step.version}`)
    })()
  }
  return { from, to: Math.max(from, latest) }
}
