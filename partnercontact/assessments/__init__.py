"""What both treaters' clinical records share without either side knowing the other: the
risk instruments' item lists and the reasons for a concern report. Data and checks only."""
