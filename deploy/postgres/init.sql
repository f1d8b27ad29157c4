-- One database per service: they never read each other's tables.
CREATE DATABASE grants;
CREATE DATABASE crowdfunding;
CREATE DATABASE notifications;
CREATE DATABASE accounts;
