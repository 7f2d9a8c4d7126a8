import { benchIngest } from './ingest.bench.js';
import { benchMemory } from './memory.bench.js';
import { benchReplication } from './replication.bench.js';
import { benchScrub } from './scrub.bench.js';
import { benchSearch } from './search.bench.js';
import { benchTimeline } from './timeline.bench.js';
import { benchVault } from './vault.bench.js';
import { benchVideo } from './video.bench.js';

// Each figure stands next to a baseline measured in this same run on this same machine (a ratio, or memory beside an idle Node).
console.log(`Heirloom bench · node ${process.version} · ${new Date().toISOString()}\n`);
await benchMemory();
console.log();
await benchVault();
console.log();
await benchVideo();
console.log();
await benchIngest();
console.log();
await benchScrub();
console.log();
await benchTimeline();
console.log();
await benchReplication();
console.log();
await benchSearch();
