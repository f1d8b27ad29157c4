from flask import Blueprint

blp = Blueprint("owner_pages", __name__)
