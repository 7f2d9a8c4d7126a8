-- Full-text search over what people type into the search box: file name, description, keywords and
-- camera. Kept in step with assets and asset_metadata by triggers, so no writer can forget it.
CREATE VIRTUAL TABLE `asset_search` USING fts5(
	name, description, keywords, camera,
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '2 3'
);
--> statement-breakpoint
CREATE TRIGGER `asset_search_after_metadata_insert` AFTER INSERT ON `asset_metadata` BEGIN
	INSERT INTO asset_search (rowid, name, description, keywords, camera)
	SELECT a.id, a.original_name, NEW.description,
		(SELECT group_concat(value, ' ') FROM json_each(NEW.keywords)),
		trim(coalesce(NEW.make, '') || ' ' || coalesce(NEW.model, '') || ' ' || coalesce(NEW.lens, ''))
	FROM assets a WHERE a.id = NEW.asset_id;
END;
--> statement-breakpoint
CREATE TRIGGER `asset_search_after_metadata_update` AFTER UPDATE ON `asset_metadata` BEGIN
	UPDATE asset_search SET
		description = NEW.description,
		keywords = (SELECT group_concat(value, ' ') FROM json_each(NEW.keywords)),
		camera = trim(coalesce(NEW.make, '') || ' ' || coalesce(NEW.model, '') || ' ' || coalesce(NEW.lens, ''))
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
INSERT INTO asset_search (rowid, name, description, keywords, camera)
SELECT a.id, a.original_name, m.description,
	(SELECT group_concat(value, ' ') FROM json_each(m.keywords)),
	trim(coalesce(m.make, '') || ' ' || coalesce(m.model, '') || ' ' || coalesce(m.lens, ''))
FROM assets a JOIN asset_metadata m ON m.asset_id = a.id;
