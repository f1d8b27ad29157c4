from flask import Blueprint

blp = Blueprint("public_pages", __name__)
