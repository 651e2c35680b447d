DROP TABLE registration_counters;
DROP TABLE consortium_members;
DROP TABLE consortia;
