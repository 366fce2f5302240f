-- A family's PIN and phone hash are erased with its last waiting document; until 2026-12-01 they
-- stayed until the same number had a document ready at the box again. Erase what was left so.
DELETE FROM family_pins WHERE NOT EXISTS (
    SELECT 1 FROM pickups p WHERE p.box_id = family_pins.box_id AND p.phone_hash = family_pins.phone_hash
      AND p.pin_hash = family_pins.pin_hash);
