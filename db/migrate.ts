/** `npm run migrate`: creates the database if missing and applies pending migrations. */
import { loadConfig } from '../config';
import { openMigratedOrm } from './orm';

async function main(): Promise<void> {
  const orm = await openMigratedOrm(loadConfig().databaseUrl);
  const applied = await orm.getMigrator().getExecutedMigrations();
  console.log(`migrations applied: ${applied.map((m) => m.name).join(', ')}`);
  await orm.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
