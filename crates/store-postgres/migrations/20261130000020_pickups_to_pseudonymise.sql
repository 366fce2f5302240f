-- Retention pseudonymises ended pickups oldest first, 100 at a time: each batch starts where the
-- last one ended instead of walking past every pickup pseudonymised before it.
CREATE INDEX pickups_to_pseudonymise ON pickups (updated_at)
    WHERE pseudonymised_at IS NULL AND status IN ('collected', 'withdrawn', 'cancelled');
