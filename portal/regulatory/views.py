from flask import Blueprint

bp = Blueprint("regulatory", __name__)
