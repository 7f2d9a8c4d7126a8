ALTER TABLE `asset_metadata` ADD `place` text;--> statement-breakpoint
CREATE INDEX `asset_metadata_unplaced` ON `asset_metadata` (`asset_id`) WHERE place IS NULL AND latitude IS NOT NULL;--> statement-breakpoint
-- The search gains the place a photo was taken. FTS5 tables cannot gain a column, so asset_search and
-- its triggers are made anew (as in 0005, plus place) and filled again.
DROP TRIGGER `asset_search_after_metadata_insert`;--> statement-breakpoint
DROP TRIGGER `asset_search_after_metadata_update`;--> statement-breakpoint
DROP TRIGGER `asset_search_after_rename`;--> statement-breakpoint
DROP TRIGGER `asset_search_after_asset_delete`;--> statement-breakpoint
DROP TABLE `asset_search`;--> statement-breakpoint
CREATE VIRTUAL TABLE `asset_search` USING fts5(
	name, description, keywords, camera, place,
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '2 3'
);
--> statement-breakpoint
CREATE TRIGGER `asset_search_after_metadata_insert` AFTER INSERT ON `asset_metadata` BEGIN
	INSERT INTO asset_search (rowid, name, description, keywords, camera, place)
	SELECT a.id, a.original_name, NEW.description,
		(SELECT group_concat(value, ' ') FROM json_each(NEW.keywords)),
		trim(coalesce(NEW.make, '') || ' ' || coalesce(NEW.model, '') || ' ' || coalesce(NEW.lens, '')),
		NEW.place
	FROM assets a WHERE a.id = NEW.asset_id;
END;
--> statement-breakpoint
CREATE TRIGGER `asset_search_after_metadata_update` AFTER UPDATE ON `asset_metadata` BEGIN
	UPDATE asset_search SET
		description = NEW.description,
		keywords = (SELECT group_concat(value, ' ') FROM json_each(NEW.keywords)),
		camera = trim(coalesce(NEW.make, '') || ' ' || coalesce(NEW.model, '') || ' ' || coalesce(NEW.lens, '')),
		place = NEW.place
	WHERE rowid = NEW.asset_id;
END;
--> statement-breakpoint
CREATE TRIGGER `asset_search_after_rename` AFTER UPDATE OF `original_name` ON `assets` BEGIN
	UPDATE asset_search SET name = NEW.original_name WHERE rowid = NEW.id;
END;
--> statement-breakpoint
CREATE TRIGGER `asset_search_after_asset_delete` AFTER DELETE ON `assets` BEGIN
	DELETE FROM asset_search WHERE rowid = OLD.id;
END;
--> statement-breakpoint
INSERT INTO asset_search (rowid, name, description, keywords, camera, place)
SELECT a.id, a.original_name, m.description,
	(SELECT group_concat(value, ' ') FROM json_each(m.keywords)),
	trim(coalesce(m.make, '') || ' ' || coalesce(m.model, '') || ' ' || coalesce(m.lens, '')),
	m.place
FROM assets a JOIN asset_metadata m ON m.asset_id = a.id;
