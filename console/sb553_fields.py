"""The one registry of the SB 553 violent-incident log's choices (California Labor Code 6401.9):
used by the completion form, its validation, the console's log view and both exports."""

from __future__ import annotations

VIOLENCE_TYPES: dict[int, str] = {
    1: "Type 1: criminal intent, no legitimate business at the workplace",
    2: "Type 2: a customer, client, patient or visitor",
    3: "Type 3: a current or former employee, supervisor or manager",
    4: "Type 4: someone with a personal relationship to the employee",
}

PERPETRATORS: dict[str, str] = {
    "customer": "Customer or client",
    "customer_relative": "Family member or friend of a customer",
    "stranger": "Stranger with criminal intent",
    "coworker": "Current or former coworker, supervisor or manager",
    "partner": "Partner or spouse",
    "relative": "Parent or relative",
    "other": "Other",
}

CIRCUMSTANCES: dict[str, str] = {
    "usual_duties": "Doing usual job duties",
    "poorly_lit": "Poorly lit area",
    "rushed": "Rushed",
    "low_staffing": "Low staffing",
    "alone": "Isolated or alone",
    "unable_to_get_help": "Unable to get help or assistance",
    "community_setting": "In a community setting",
    "unfamiliar_location": "Unfamiliar or new location",
    "other": "Other",
}

PLACES: dict[str, str] = {
    "workplace": "In the workplace",
    "parking_lot": "Parking lot or outside area of the workplace",
    "outside": "Elsewhere outside the workplace",
}

INCIDENT_TYPES: dict[str, str] = {
    "physical_attack": "Physical attack without a weapon",
    "weapon_attack": "Attack with a weapon or object",
    "threat_physical": "Threat of physical force",
    "threat_weapon": "Threat of weapon use",
    "sexual": "Sexual assault or threat",
    "animal": "Animal attack",
    "verbal": "Verbal abuse or intimidation",
    "other": "Other",
}

# Defaults from the kiosk's wrap-up, for a manager to confirm or change
PERPETRATOR_TO_TYPE: dict[str, int] = {"customer": 2, "stranger": 1, "coworker": 3, "personal": 4}
KIOSK_PERPETRATOR: dict[str, str] = {
    "customer": "customer",
    "stranger": "stranger",
    "coworker": "coworker",
    "personal": "other",
}
KIOSK_VIOLENCE_TO_TYPES: dict[str, tuple[str, ...]] = {
    "none": (),
    "verbal_abuse": ("verbal",),
    "threat": ("threat_physical",),
    "physical": ("physical_attack",),
    "property_damage": ("other",),
    "weapon": ("weapon_attack",),
}

FREE_TEXT_FIELDS: dict[str, str] = {
    "description": "Description of the incident",
    "response": "How security or law enforcement responded",
    "protective_actions": "Actions taken to protect employees",
    "investigation": "Investigation",
    "corrective_measures": "Corrective measures",
}
"""Free text that goes into the log (checked for personal identifying information)."""
