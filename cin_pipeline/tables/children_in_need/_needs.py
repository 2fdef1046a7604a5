"""Primary needs as DfE labels them (not a table: discovery skips ``_`` modules): B3 and A3."""

# (column, DfE label, census PrimaryNeedCode), in code order. The labels are DfE's
# ("N0 - Not stated" ..., re-referrals A6 2024); a column is the label's words joined by "_".
NEEDS = (
    ("N0_Not_stated", "N0 - Not stated", "N0"),
    ("N1_Abuse_or_neglect", "N1 - Abuse or neglect", "N1"),
    ("N2_Childs_disability_or_illness", "N2 - Child's disability or illness", "N2"),
    ("N3_Parents_disability_or_illness", "N3 - Parent's disability or illness", "N3"),
    ("N4_Family_in_acute_stress", "N4 - Family in acute stress", "N4"),
    ("N5_Family_dysfunction", "N5 - Family dysfunction", "N5"),
    ("N6_Socially_unacceptable_behaviour", "N6 - Socially unacceptable behaviour", "N6"),
    ("N7_Low_income", "N7 - Low income", "N7"),
    ("N8_Absent_parenting", "N8 - Absent parenting", "N8"),
    ("N9_Cases_other_than_children_in_need", "N9 - Cases other than children in need", "N9"),
)
