-- Joint work moves to the workspace store (cxhub/workspace.py): the rows
-- were copied there just before this runs (db._move_joint_work_out).
DROP TABLE action_items;
DROP TABLE decisions;
DROP TABLE meetings;
DROP TABLE change_log;
DROP TABLE initiatives;
DROP SEQUENCE action_id_seq;
DROP SEQUENCE decision_id_seq;
DROP SEQUENCE change_id_seq;
DROP SEQUENCE initiative_id_seq;
