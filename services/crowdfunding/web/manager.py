from flask import Blueprint

blp = Blueprint("manager_pages", __name__)
