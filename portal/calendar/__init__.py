"""The Chinese working-day calendar: public holidays and 调休 make-up working days, for every deadline."""
