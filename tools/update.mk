# tools/update.mk -- dnsd-update (registration client, ldns)
