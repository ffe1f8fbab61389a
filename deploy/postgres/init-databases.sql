-- Run once by the postgres image on an empty data volume: one database per
-- service (each owns its data and applies its own migrations on start).
CREATE DATABASE points;
CREATE DATABASE referrals;
CREATE DATABASE reviews;
CREATE DATABASE webhooks;
CREATE DATABASE gateway;
