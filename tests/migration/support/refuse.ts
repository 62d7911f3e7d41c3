import type { Store } from '../../../src/legacy-bridge/index.js';

/** A real constraint in the database: a trigger that refuses every registry write of this client ('client … is frozen by policy'). */
export async function refuseRegistryWrites(store: Store, clientId: string): Promise<void> {
  await store.exec(`
    CREATE FUNCTION refuse_client() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.client_id = '${clientId}' THEN RAISE EXCEPTION 'client % is frozen by policy', NEW.client_id; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_client BEFORE INSERT OR UPDATE ON hotmod_module_configs FOR EACH ROW EXECUTE FUNCTION refuse_client();`);
}
